import type { RedisClient } from '@conveyor/queue';
import type { Plan, Principal } from '@conveyor/db';
import type { Logger } from '@conveyor/observability';
import type { NextFunction, Request, Response } from 'express';
import { RateLimiterRes } from 'rate-limiter-flexible';
import { HttpError } from '../http-error';
import { SharedCounter } from './shared-counter';

/** Who a limit applies to: a tenant's plan, or an admin key. */
export type RateLimitClass = Plan | 'admin';

export interface RateLimitSettings {
  /** Requests per minute per tenant, by plan, and per admin key. */
  perMinute: Record<RateLimitClass, number>;
  /** Redis key prefix of the counters (the deployment's BullMQ prefix). */
  keyPrefix: string;
}

/** Seconds until a refused counter lets the next request through (at least 1). */
export const retryAfterSeconds = (rejection: RateLimiterRes) => Math.max(1, Math.ceil(rejection.msBeforeNext / 1000));

/**
 * Limits the API requests per minute of each tenant by its plan, and of each admin key by the
 * admin limit: past it, 429 with Retry-After. Runs after authentication, before any body is read.
 */
export function rateLimit(redis: RedisClient, settings: RateLimitSettings, logger: Logger) {
  const limiters = new Map<RateLimitClass, SharedCounter>();
  for (const [which, points] of Object.entries(settings.perMinute) as [RateLimitClass, number][]) {
    limiters.set(which, new SharedCounter(redis, `${settings.keyPrefix}:ratelimit:${which}`, points));
  }
  return async (_req: Request, res: Response, next: NextFunction) => {
    const principal = res.locals.principal as Principal;
    const which: RateLimitClass | null = principal.isAdmin ? 'admin' : principal.plan;
    if (!which) return next();
    const limiter = limiters.get(which)!;
    const subject = principal.isAdmin ? principal.keyId : principal.tenantId!;
    try {
      const state = await limiter.consume(subject);
      res.set('RateLimit-Limit', String(limiter.points));
      res.set('RateLimit-Remaining', String(state.remainingPoints));
      return next();
    } catch (rejection) {
      if (!(rejection instanceof RateLimiterRes)) throw rejection;
      const retryAfter = retryAfterSeconds(rejection);
      const who = principal.isAdmin ? 'an admin key' : `the ${which} plan`;
      logger.warn('rate limit reached', { tenant_id: principal.tenantId, key_id: principal.keyId, limit_class: which, limit: limiter.points });
      throw new HttpError(
        429,
        'rate_limited',
        `Rate limit reached: ${who} allows ${limiter.points} API requests per minute; retry in ${retryAfter} s`,
        undefined,
        { 'Retry-After': String(retryAfter), 'RateLimit-Limit': String(limiter.points), 'RateLimit-Remaining': '0' },
      );
    }
  };
}
