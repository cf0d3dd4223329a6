import { performance } from 'node:perf_hooks';
import type { XEndpoint } from '@conveyor/contracts';
import type { Logger } from '@conveyor/observability';
import type { XCallLimiter } from './call-limiter';
import { errorFromAnswer, errorFromFailure } from './x-errors';
import type { XApiMetrics } from './x-api-metrics';
import { XApiError, type XCallAccount } from './x-client';
import { rateHeadersOf } from './x-rate-headers';

/** One call to X: the endpoint names its rate-limit counter; path and query make the URL. */
export interface XRequest {
  account: XCallAccount;
  endpoint: XEndpoint;
  method: 'GET' | 'POST' | 'DELETE';
  path: string;
  query?: Record<string, string>;
  /** A JSON body, or a multipart form (media uploads). */
  json?: unknown;
  form?: FormData;
  signal?: AbortSignal;
}

/** A 2xx answer with its parsed JSON body (undefined when it had none). */
export interface XAnswer {
  status: number;
  // X's JSON, read by the caller that knows its shape.
  body: Record<string, unknown> | undefined;
}

export interface XHttpOptions {
  baseUrl: string;
  timeoutMs: number;
  fetch: typeof fetch;
  metrics: XApiMetrics;
  limiter?: XCallLimiter;
  logger?: Logger;
  /** The clock of the 429 fallback (no reset header): epoch ms. */
  now: () => number;
}

const parseJson = (text: string): Record<string, unknown> | undefined => {
  try {
    const value: unknown = text ? JSON.parse(text) : undefined;
    return value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
};

/**
 * Every X call goes through here: the limiter before, a timeout joined to the caller's signal,
 * the bearer token in the header only, the limiter told what X's headers said after any answer,
 * metrics and one log line, and every failure turned into an XApiError of the right kind. The
 * caller's own abort is the one failure passed on as it is (its reason), so a cancelled task is
 * never taken for a call whose outcome is unknown.
 */
export class XHttp {
  private readonly baseUrl: string;

  constructor(private readonly options: XHttpOptions) {
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
  }

  async call(request: XRequest): Promise<XAnswer> {
    const { account, endpoint, signal } = request;
    const { limiter, metrics, logger, timeoutMs } = this.options;
    const who = { accountId: account.accountId, tier: account.tier };
    signal?.throwIfAborted();
    await limiter?.acquire(who, endpoint);
    signal?.throwIfAborted();

    const timeout = AbortSignal.timeout(timeoutMs);
    const started = performance.now();
    const finish = (status: string) => {
      const seconds = (performance.now() - started) / 1000;
      metrics.requests.inc({ endpoint, status });
      metrics.duration.observe({ endpoint }, seconds);
      logger?.debug('x api call', { endpoint, status, duration_ms: Math.round(seconds * 1000), account_id: account.accountId });
    };
    let response: Response;
    let text: string;
    try {
      response = await this.options.fetch(this.url(request), {
        method: request.method,
        headers: {
          authorization: `Bearer ${account.token}`,
          ...(request.json !== undefined ? { 'content-type': 'application/json' } : {}),
        },
        body: request.form ?? (request.json !== undefined ? JSON.stringify(request.json) : undefined),
        signal: signal ? AbortSignal.any([timeout, signal]) : timeout,
        // X does not redirect API calls; following one would send the token to wherever it points.
        redirect: 'manual',
      });
      text = await response.text();
    } catch (error) {
      if (signal?.aborted) {
        finish('aborted');
        throw signal.reason;
      }
      finish(timeout.aborted ? 'timeout' : 'network');
      throw this.failed(errorFromFailure(endpoint, error, timeout.aborted, timeoutMs), account);
    }
    finish(String(response.status));

    const body = parseJson(text);
    const rate = rateHeadersOf(response.headers);
    if (rate) {
      // The answer stands whatever becomes of the limiter's bookkeeping: a post X created must
      // not be reported as failed because Redis was briefly unreachable.
      await limiter?.observe(who, endpoint, rate, response.status).catch((error: unknown) => {
        logger?.warn('x rate limiter could not record an answer', { endpoint, account_id: account.accountId, error });
      });
    }
    if (!response.ok) throw this.failed(errorFromAnswer(endpoint, response.status, body, rate, this.options.now()), account);
    return { status: response.status, body };
  }

  private url({ path, query }: XRequest): string {
    const search = query ? `?${new URLSearchParams(query).toString()}` : '';
    return `${this.baseUrl}${path}${search}`;
  }

  private failed(error: XApiError, account: XCallAccount): XApiError {
    this.options.logger?.warn('x api call failed', {
      endpoint: error.endpoint,
      kind: error.kind,
      status: error.status,
      account_id: account.accountId,
      reason: error.message,
    });
    return error;
  }
}
