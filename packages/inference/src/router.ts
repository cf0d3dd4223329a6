import type { Logger } from '@conveyor/observability';
import { PermanentError, type Price, type Route, estimateTokens, priceOf, worstCaseCostUsd } from '@conveyor/contracts';
import OpenAI from 'openai';
import { z } from 'zod';
import { InferenceUnavailableError } from './errors';

export type ChatMessage = { role: 'system' | 'user' | 'assistant'; content: string };

export interface InferenceRequest<T = unknown> {
  task: string;
  messages: ChatMessage[];
  /** Ask for JSON matching this schema; the answer is validated (and repaired once). */
  schema?: z.ZodType<T>;
  signal?: AbortSignal;
  /**
   * Where this call's warnings (fallbacks, repairs) go; by default the router's logger. A
   * task passes its context's logger, so those lines carry the task's correlation ids.
   */
  logger?: Logger;
}

export interface InferenceResult<T = string> {
  content: string;
  /** The parsed, validated JSON when a schema was given. */
  data: T;
  model_used: string;
  token_count: number;
  prompt_tokens: number;
  completion_tokens: number;
  cost_usd: number;
  /** The provider's generation id(s), for reconciling with its bill. */
  generation_id: string;
}

export interface RouterOptions {
  client: OpenAI;
  routes: Record<string, Route>;
  prices: Record<string, Price>;
  logger: Logger;
}

/**
 * The provider's answers below 500 that move a call on to the next model of its chain: 404 (the
 * model is gone from the provider), 408 (the provider timed out), 409 (a conflict on its side)
 * and 429 (rate limited). Every 5xx does too, and so do a timeout and a lost connection; any
 * other status fails at once (PermanentError PROVIDER_<status>). Both READMEs list them; a test
 * (fallback-statuses-readme.test.ts) holds them to what the router does.
 */
export const FALLBACK_STATUSES: readonly number[] = [404, 408, 409, 429];

/** Whether a provider answer with this status falls back to the next model (else it fails the task). */
const fallsBack = (status: number) => FALLBACK_STATUSES.includes(status) || status >= 500;

/**
 * Routes a task's LLM call to its model through the openai SDK (retries off: the router
 * decides), falling back along the chain on the FALLBACK_STATUSES, 5xx, timeouts and lost
 * connections, never on another status (400, 401, 402, 403…: those are PermanentError). Each call returns the model used, tokens and
 * cost: the provider's own figure when it sends one (OpenRouter's usage.cost), else tokens
 * times the price table.
 */
export class InferenceRouter {
  constructor(private readonly options: RouterOptions) {}

  route(task: string): Route {
    const route = this.options.routes[task];
    if (!route) throw new PermanentError(`no inference route for task "${task}"`);
    return route;
  }

  chain(task: string): string[] {
    const route = this.route(task);
    return [route.model, ...route.fallbacks];
  }

  /**
   * The most a call can cost: the prompt estimate plus max_tokens at the dearest model of the
   * chain, times `attempts`. The one function of @conveyor/contracts that GET /usage/check
   * prices a call with too (with its own prompt estimate).
   */
  worstCaseCostUsd(task: string, messages: ChatMessage[], attempts = 1): number {
    return worstCaseCostUsd(this.options, task, estimateTokens(messages), attempts);
  }

  /**
   * Checks every routed model against the provider's model list; throws naming the ones
   * missing. Returns false (and checks nothing) when the list cannot be fetched.
   */
  async verifyModels(): Promise<boolean> {
    let available: Set<string>;
    try {
      available = new Set<string>();
      for await (const model of this.options.client.models.list()) available.add(model.id);
    } catch (error) {
      this.options.logger.warn('could not fetch the provider model list; routes not checked', { error });
      return false;
    }
    const missing = [...new Set(Object.values(this.options.routes).flatMap((r) => [r.model, ...r.fallbacks]))].filter((m) => !available.has(m));
    if (missing.length) throw new Error(`routed models missing from the provider: ${missing.join(', ')}`);
    return true;
  }

  async complete<T = string>(request: InferenceRequest<T>): Promise<InferenceResult<T>> {
    const route = this.route(request.task);
    const first = await this.callChain(request, route, request.messages);
    if (!request.schema) return { ...first, data: first.content as T };
    const parsed = parseJson(first.content, request.schema);
    if (parsed.success) return { ...first, data: parsed.data };
    // One repair round: show the model its answer and what is wrong with it.
    (request.logger ?? this.options.logger).warn('model answer did not match its schema; asking for a repair once', {
      task: request.task,
      model: first.model_used,
    });
    const repairMessages: ChatMessage[] = [
      ...request.messages,
      { role: 'assistant', content: first.content },
      { role: 'user', content: `That answer is not valid: ${parsed.error}. Reply again with only the JSON object, matching the schema exactly.` },
    ];
    const second = await this.callChain(request, route, repairMessages);
    const total = {
      ...second,
      token_count: first.token_count + second.token_count,
      prompt_tokens: first.prompt_tokens + second.prompt_tokens,
      completion_tokens: first.completion_tokens + second.completion_tokens,
      cost_usd: first.cost_usd + second.cost_usd,
      generation_id: `${first.generation_id},${second.generation_id}`,
    };
    const repaired = parseJson(second.content, request.schema);
    if (!repaired.success) {
      throw Object.assign(new InferenceUnavailableError(`model answer invalid after one repair: ${repaired.error}`), { spent: total });
    }
    return { ...total, data: repaired.data };
  }

  private async callChain<T>(request: InferenceRequest<T>, route: Route, messages: ChatMessage[]): Promise<Omit<InferenceResult<never>, 'data'>> {
    const responseFormat = request.schema
      ? {
          type: 'json_schema' as const,
          json_schema: { name: request.task, strict: true, schema: z.toJSONSchema(request.schema, { io: 'input' }) as Record<string, unknown> },
        }
      : undefined;
    let lastError: unknown;
    let retryAfterMs: number | undefined;
    for (const model of [route.model, ...route.fallbacks]) {
      try {
        const response = await this.options.client.chat.completions.create(
          { model, messages, max_tokens: route.maxTokens, temperature: route.temperature, ...(responseFormat ? { response_format: responseFormat } : {}) },
          { signal: request.signal },
        );
        const usage = response.usage as (OpenAI.CompletionUsage & { cost?: number }) | undefined;
        const promptTokens = usage?.prompt_tokens ?? estimateTokens(messages);
        const completionTokens = usage?.completion_tokens ?? 0;
        const modelUsed = response.model || model;
        const cost =
          typeof usage?.cost === 'number'
            ? usage.cost
            : priceOf(this.options.prices, this.options.prices[modelUsed] ? modelUsed : model, promptTokens, completionTokens);
        return {
          content: response.choices[0]?.message?.content ?? '',
          model_used: modelUsed,
          prompt_tokens: promptTokens,
          completion_tokens: completionTokens,
          token_count: promptTokens + completionTokens,
          cost_usd: cost,
          generation_id: response.id,
        };
      } catch (error) {
        if (request.signal?.aborted) throw error;
        if (error instanceof OpenAI.APIError && error.status !== undefined && !fallsBack(error.status)) {
          throw new PermanentError(`${model} refused the request (${error.status}): ${error.message}`, `PROVIDER_${error.status}`, { cause: error });
        }
        const status = error instanceof OpenAI.APIError ? error.status : undefined;
        const retryAfter = error instanceof OpenAI.APIError ? parseRetryAfterMs(error.headers?.get('retry-after')) : undefined;
        if (retryAfter !== undefined) retryAfterMs = Math.max(retryAfterMs ?? 0, retryAfter);
        (request.logger ?? this.options.logger).warn('model call failed; trying the next in the chain', {
          task: request.task,
          model,
          status: status ?? 'connection',
        });
        lastError = error;
      }
    }
    throw new InferenceUnavailableError(
      `every model for "${request.task}" failed; last: ${lastError instanceof Error ? lastError.message : String(lastError)}`,
      retryAfterMs,
    );
  }
}

/**
 * A Retry-After header as milliseconds from now: delay-seconds ("120") or an HTTP-date
 * ("Wed, 21 Oct 2026 07:28:00 GMT"). Absent or unreadable: undefined, so the task's own backoff
 * applies (never 0, which would retry at once).
 */
export function parseRetryAfterMs(header: string | null | undefined, now = Date.now()): number | undefined {
  const value = header?.trim();
  if (!value) return undefined;
  if (/^\d+(\.\d+)?$/.test(value)) return Math.round(Number(value) * 1000);
  // An HTTP-date starts with the day's name; anything else Date.parse might still read as a year.
  if (!/^[A-Za-z]{3,9},?\s/.test(value)) return undefined;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

function parseJson<T>(content: string, schema: z.ZodType<T>): { success: true; data: T } | { success: false; error: string } {
  let value: unknown;
  try {
    value = JSON.parse(content);
  } catch {
    return { success: false, error: 'it is not JSON' };
  }
  const parsed = schema.safeParse(value);
  return parsed.success
    ? { success: true, data: parsed.data }
    : { success: false, error: parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ') };
}
