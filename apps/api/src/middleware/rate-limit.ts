import type { Plan, Principal } from '@conveyor/db';
import type { Logger } from '@conveyor/observability';
import type { NextFunction, Request, Response } from 'express';
import type { Redis } from 'ioredis';
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import { HttpError } from '../http-error';

export interface RateLimitSettings {
  /** Requests per minute per tenant, by plan. */
  perMinute: Record<Plan, number>;
  /** Redis key prefix of the counters (the deployment's BullMQ prefix). */
  keyPrefix: string;
}

const WINDOW_SECONDS = 60;

/**
 * Limits each tenant's API requests per minute by its plan, counted in Redis so every API
 * replica shares one count. Past the limit: 429 with Retry-After. While Redis is unreachable
 * each process counts in memory instead, so reads keep working and a tenant still cannot
 * flood one replica. Admin keys are not limited. Runs after authentication.
 */
export function rateLimit(redis: Redis, settings: RateLimitSettings, logger: Logger) {
  const limiters = new Map<Plan, RateLimiterRedis>();
  for (const [plan, points] of Object.entries(settings.perMinute) as [Plan, number][]) {
    limiters.set(plan, new RateLimiterRedis({
      storeClient: redis,
      keyPrefix: `${settings.keyPrefix}:ratelimit:${plan}`,
      points,
      duration: WINDOW_SECONDS,
      rejectIfRedisNotReady: true,
      insuranceLimiter: new RateLimiterMemory({ points, duration: WINDOW_SECONDS }),
    }));
  }
  return async (_req: Request, res: Response, next: NextFunction) => {
    const principal = res.locals.principal as Principal;
    if (!principal.tenantId || !principal.plan) return next();
    const limiter = limiters.get(principal.plan)!;
    try {
      const state = await limiter.consume(principal.tenantId);
      res.set('RateLimit-Limit', String(limiter.points));
      res.set('RateLimit-Remaining', String(state.remainingPoints));
      return next();
    } catch (rejection) {
      if (!(rejection instanceof RateLimiterRes)) throw rejection;
      const retryAfter = Math.max(1, Math.ceil(rejection.msBeforeNext / 1000));
      logger.warn('rate limit reached', { tenant_id: principal.tenantId, plan: principal.plan, limit: limiter.points });
      throw new HttpError(
        429,
        'rate_limited',
        `Rate limit reached: the ${principal.plan} plan allows ${limiter.points} API requests per minute; retry in ${retryAfter} s`,
        undefined,
        { 'Retry-After': String(retryAfter), 'RateLimit-Limit': String(limiter.points), 'RateLimit-Remaining': '0' },
      );
    }
  };
}
