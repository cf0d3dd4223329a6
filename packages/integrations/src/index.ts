export * from './x/x-client';
export * from './x/call-limiter';
export * from './fetch';
export { RedisXRateLimiter, type RedisXRateLimiterOptions } from './x/redis-rate-limiter';
export { xRateKeys, type XRateKeys } from './x/rate-limit-keys';
export { xRateMetrics, type XRateMetrics, type XRateWaitReason } from './x/rate-limit-metrics';
export { toTaskError, deferDelayMs, X_PERMANENT_CODES } from './x/task-errors';
