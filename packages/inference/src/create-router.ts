import type { Logger } from '@conveyor/observability';
import OpenAI from 'openai';
import { InferenceRouter } from './router';
import { type Price, type Route, buildPriceBook } from '@conveyor/contracts';

export interface InferenceConfig {
  /** OpenAI-compatible endpoint, e.g. https://openrouter.ai/api/v1 or the simulator. */
  baseUrl: string;
  apiKey: string;
  /** Milliseconds one model call may take before it counts as a timeout (and falls back). */
  timeoutMs: number;
  routeOverrides?: Record<string, Partial<Route>>;
  priceOverrides?: Record<string, Price>;
  /** OpenRouter's app attribution, sent on every call (OPENROUTER_REFERER, OPENROUTER_TITLE). */
  attribution?: Attribution;
}

/** Who the calls come from, as OpenRouter ranks apps: a site's URL (optional) and the app's name. */
export interface Attribution {
  referer?: string;
  title: string;
}

/** The attribution as headers: `HTTP-Referer` only when a referer is given, `X-Title` always. */
function attributionHeaders(attribution: Attribution | undefined): Record<string, string> {
  if (!attribution) return {};
  return { ...(attribution.referer ? { 'HTTP-Referer': attribution.referer } : {}), 'X-Title': attribution.title };
}

/**
 * A router on the official openai SDK with its own retries off. The attribution headers are
 * the client's defaultHeaders, so every request it makes carries them: each model of a
 * fallback chain, the repair round and the model list.
 */
export function createInferenceRouter(config: InferenceConfig, logger: Logger): InferenceRouter {
  const { routes, prices } = buildPriceBook(config.routeOverrides, config.priceOverrides);
  const client = new OpenAI({
    apiKey: config.apiKey,
    baseURL: config.baseUrl,
    maxRetries: 0,
    timeout: config.timeoutMs,
    defaultHeaders: attributionHeaders(config.attribution),
  });
  return new InferenceRouter({ client, routes, prices, logger });
}
