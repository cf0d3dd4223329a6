export {
  InferenceRouter,
  FALLBACK_STATUSES,
  parseRetryAfterMs,
  type ChatMessage,
  type InferenceRequest,
  type InferenceResult,
  type RouterOptions,
} from './router';
export { createInferenceRouter, type Attribution, type InferenceConfig } from './create-router';
// The routing table and prices are data of @conveyor/contracts (the API prices a pre-flight check with them too).
export { DEFAULT_ROUTES, DEFAULT_PRICES, MAX_CHAIN, buildRoutes, estimateTokens, type Route, type Price } from '@conveyor/contracts';
export { InferenceUnavailableError } from './errors';
