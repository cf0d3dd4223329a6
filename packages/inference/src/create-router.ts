import type { Logger } from '@conveyor/observability';
import OpenAI from 'openai';
import { InferenceRouter } from './router';
import { DEFAULT_PRICES, type Price, type Route, buildRoutes } from '@conveyor/contracts';

export interface InferenceConfig {
  /** OpenAI-compatible endpoint, e.g. https://openrouter.ai/api/v1 or the simulator. */
  baseUrl: string;
  apiKey: string;
  /** Milliseconds one model call may take before it counts as a timeout (and falls back). */
  timeoutMs: number;
  routeOverrides?: Record<string, Partial<Route>>;
  priceOverrides?: Record<string, Price>;
}

/** A router on the official openai SDK with its own retries off. */
export function createInferenceRouter(config: InferenceConfig, logger: Logger): InferenceRouter {
  const prices = { ...DEFAULT_PRICES, ...config.priceOverrides };
  const client = new OpenAI({ apiKey: config.apiKey, baseURL: config.baseUrl, maxRetries: 0, timeout: config.timeoutMs });
  return new InferenceRouter({ client, routes: buildRoutes(config.routeOverrides, prices), prices, logger });
}
