import { type PriceBook, worstCaseCostUsd } from './worst-case';

/**
 * The model calls each LLM task of the catalog makes, one per attempt (the handlers in
 * apps/worker-analysis and apps/worker-generation): the route it calls, and whether it asks for
 * a structured answer (which may need a repair round, so its reservation counts twice). A task
 * with several kinds of call (process_chat_message: a conversation's reply, or a dataset
 * session's program) lists each. The usage is filed under the task's name (its action).
 */
export const LLM_TASK_CALLS = {
  classify_archetype: [{ route: 'classify_archetype', structured: true }],
  score_post: [{ route: 'score_post', structured: true }],
  extract_patterns: [{ route: 'extract_patterns', structured: true }],
  generate_draft: [{ route: 'generate_draft', structured: false }],
  process_chat_message: [
    { route: 'process_chat_message', structured: false },
    { route: 'dataset_transformation', structured: true },
  ],
} as const satisfies Record<string, readonly { route: string; structured: boolean }[]>;

export type LlmTaskName = keyof typeof LLM_TASK_CALLS;

/** The tasks that call a model, in catalog order: what GET /usage/check and PLAN_ACTION_LIMITS take. */
export const LLM_TASKS = Object.keys(LLM_TASK_CALLS) as LlmTaskName[];

/**
 * The prompt a pre-flight check assumes, in tokens: it has no prompt to count, so it takes a
 * generous one (about 8,000 characters: a long brief, a dozen posts, or a table sample with ten
 * rows and the last messages of a chat).
 */
export const PREFLIGHT_PROMPT_TOKENS = 2000;

/**
 * What one more call of `task` may cost at most, before its prompt is known: the worst case of
 * its dearest kind of call (the same worstCaseCostUsd a worker reserves with) for a prompt of
 * PREFLIGHT_PROMPT_TOKENS, doubled where the call asks for a structured answer.
 */
export function preflightWorstCaseUsd(book: PriceBook, task: LlmTaskName): number {
  return Math.max(...LLM_TASK_CALLS[task].map((call) => worstCaseCostUsd(book, call.route, PREFLIGHT_PROMPT_TOKENS, call.structured ? 2 : 1)));
}
