// The LLM routing table and price list: data, free of I/O, so that the inference router (in the
// LLM workers) and the API's pre-flight budget check (GET /usage/check, which must not load the
// openai SDK) price a call from the same table with the same function (./worst-case.ts).

import type { PriceBook } from './worst-case';

/** How one task calls a model. */
export interface Route {
  model: string;
  maxTokens: number;
  temperature: number;
  /** Models tried in order when the one before fails with a fallback status (the router's FALLBACK_STATUSES, any 5xx), a timeout or a lost connection. */
  fallbacks: string[];
}

const GEMINI_FLASH = 'google/gemini-2.0-flash-001';

/** The routing table (OpenRouter model ids). Override per task with INFERENCE_ROUTES. */
export const DEFAULT_ROUTES: Record<string, Route> = {
  classify_archetype: { model: 'anthropic/claude-3-haiku', maxTokens: 200, temperature: 0.1, fallbacks: [GEMINI_FLASH] },
  generate_draft: { model: 'anthropic/claude-sonnet-4', maxTokens: 2000, temperature: 0.7, fallbacks: ['openai/gpt-4o-mini'] },
  score_post: { model: 'anthropic/claude-3-haiku', maxTokens: 500, temperature: 0.0, fallbacks: [GEMINI_FLASH] },
  extract_patterns: { model: 'anthropic/claude-3-haiku', maxTokens: 1000, temperature: 0.2, fallbacks: [GEMINI_FLASH] },
  process_chat_message: { model: 'anthropic/claude-sonnet-4', maxTokens: 1000, temperature: 0.7, fallbacks: ['openai/gpt-4o-mini'] },
  // A session's chat message turned into a transformation program: deterministic, and room for a long program.
  dataset_transformation: { model: 'anthropic/claude-sonnet-4', maxTokens: 1500, temperature: 0, fallbacks: ['openai/gpt-4o-mini'] },
};

/** Price of a model in USD per million tokens. */
export interface Price {
  prompt: number;
  completion: number;
}

/** OpenRouter list prices, USD per million tokens. Add or change with MODEL_PRICES. */
export const DEFAULT_PRICES: Record<string, Price> = {
  'anthropic/claude-3-haiku': { prompt: 0.25, completion: 1.25 },
  'anthropic/claude-sonnet-4': { prompt: 3, completion: 15 },
  'openai/gpt-4o-mini': { prompt: 0.15, completion: 0.6 },
  [GEMINI_FLASH]: { prompt: 0.1, completion: 0.4 },
};

export const MAX_CHAIN = 4;

/**
 * The deployment's price book: the default prices with MODEL_PRICES over them, and the routes
 * with INFERENCE_ROUTES applied, checked against those prices. The router in the LLM workers and
 * the API's pre-flight check both price calls from it.
 */
export function buildPriceBook(routeOverrides?: Record<string, Partial<Route>>, priceOverrides?: Record<string, Price>): PriceBook {
  const prices = { ...DEFAULT_PRICES, ...priceOverrides };
  return { routes: buildRoutes(routeOverrides, prices), prices };
}

/**
 * The routing table with overrides applied, checked: every chain is short, has no model
 * twice (a cycle), and every model in it has a price. Throws naming what is wrong.
 */
export function buildRoutes(overrides: Record<string, Partial<Route>> = {}, prices: Record<string, Price> = DEFAULT_PRICES): Record<string, Route> {
  const routes: Record<string, Route> = {};
  for (const task of new Set([...Object.keys(DEFAULT_ROUTES), ...Object.keys(overrides)])) {
    const base = DEFAULT_ROUTES[task];
    const merged = { ...base, ...overrides[task] } as Route;
    if (!merged.model || merged.maxTokens === undefined || merged.temperature === undefined) {
      throw new Error(`route for "${task}" is incomplete: a new route needs model, maxTokens and temperature`);
    }
    merged.fallbacks ??= [];
    const chain = [merged.model, ...merged.fallbacks];
    if (chain.length > MAX_CHAIN) throw new Error(`route for "${task}": fallback chain of ${chain.length} models; at most ${MAX_CHAIN}`);
    const repeated = chain.find((m, i) => chain.indexOf(m) !== i);
    if (repeated) throw new Error(`route for "${task}": "${repeated}" appears twice in its chain (a cycle)`);
    const unpriced = chain.filter((m) => !prices[m]);
    if (unpriced.length) throw new Error(`route for "${task}": no price for ${unpriced.join(', ')}; add it to MODEL_PRICES (a model is never charged at zero)`);
    routes[task] = merged;
  }
  return routes;
}
