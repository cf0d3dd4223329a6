export * from './x/x-client';
export * from './x/call-limiter';
export * from './fetch';
export { RedisXRateLimiter, type RedisXRateLimiterOptions } from './x/redis-rate-limiter';
export { xRateKeys, type XRateKeys } from './x/rate-limit-keys';
export { xRateMetrics, type XRateMetrics, type XRateWaitReason } from './x/rate-limit-metrics';
export { toTaskError, deferDelayMs, X_PERMANENT_CODES } from './x/task-errors';
export { XApiClient, type XApiClientOptions } from './x/x-api-client';
export { DryRunXClient, isDryRunId, DRY_RUN_ID_PREFIX } from './x/dry-run-x-client';
export { createXClient, type CreateXClientOptions } from './x/create-x-client';
export * from './secrets-provider';
export { TokenBucketLimiter, type TokenBucket, type TokenBucketLimiterOptions } from './ingestion/token-bucket';
export {
  MalformedPageError,
  type IngestionSource,
  type PageContext,
  type PageRequest,
  type ParsedPage,
  type SourceRecord,
  type TimeWindow,
} from './ingestion/source';
export { createFredSource, type FredSettings, type FredCursor } from './ingestion/sources/fred';
export { createWorldBankSource, type WorldBankSettings, type WorldBankCursor } from './ingestion/sources/worldbank';
export { createComtradeSource, type ComtradeSettings, type ComtradeCursor } from './ingestion/sources/comtrade';
