export { DEFAULT_ROUTES, DEFAULT_PRICES, MAX_CHAIN, buildPriceBook, buildRoutes, type Route, type Price } from './routes';
export { estimateTokens, priceOf, worstCaseCostUsd, type PriceBook } from './worst-case';
export { LLM_TASK_CALLS, LLM_TASKS, PREFLIGHT_PROMPT_TOKENS, preflightWorstCaseUsd, type LlmTaskName } from './llm-task-calls';
