import { PermanentError } from '../errors/permanent-error';
import type { Price, Route } from './routes';

/** The routes and prices a deployment calls models with (defaults merged with INFERENCE_ROUTES and MODEL_PRICES). */
export interface PriceBook {
  routes: Record<string, Route>;
  prices: Record<string, Price>;
}

/** Estimated tokens of a prompt: four characters a token, the usual rule of thumb. */
export function estimateTokens(messages: readonly { content: string }[]): number {
  return Math.ceil(messages.reduce((n, m) => n + m.content.length + 8, 0) / 4);
}

/** A call's price in USD at a model's list price; throws for a model without one (a model is never charged at zero). */
export function priceOf(prices: Record<string, Price>, model: string, promptTokens: number, completionTokens: number): number {
  const price = prices[model];
  if (!price) throw new PermanentError(`no price for model "${model}": refusing to call it (a model is never charged at zero)`);
  return (promptTokens * price.prompt + completionTokens * price.completion) / 1e6;
}

/**
 * The most one call on `route` can cost: `promptTokens` plus the route's max_tokens at the
 * dearest model of its chain, times `attempts` (2 when a structured answer may need its repair
 * round). What a worker reserves before the call, and what GET /usage/check prices a call at.
 */
export function worstCaseCostUsd(book: PriceBook, route: string, promptTokens: number, attempts = 1): number {
  const r = book.routes[route];
  if (!r) throw new PermanentError(`no inference route for task "${route}"`);
  const costs = [r.model, ...r.fallbacks].map((model) => priceOf(book.prices, model, promptTokens, r.maxTokens));
  return Math.max(...costs) * attempts;
}
