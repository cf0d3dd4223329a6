export {
  InferenceRouter,
  FALLBACK_STATUSES,
  estimateTokens,
  parseRetryAfterMs,
  type ChatMessage,
  type InferenceRequest,
  type InferenceResult,
  type RouterOptions,
} from './router';
export { createInferenceRouter, type Attribution, type InferenceConfig } from './create-router';
export { DEFAULT_ROUTES, DEFAULT_PRICES, MAX_CHAIN, buildRoutes, type Route, type Price } from './routes';
export { InferenceUnavailableError } from './errors';
