export * from './x/x-client';
export * from './x/call-limiter';
export * from './fetch';
export { XApiClient, type XApiClientOptions } from './x/x-api-client';
export { DryRunXClient, isDryRunId, DRY_RUN_ID_PREFIX } from './x/dry-run-x-client';
export { createXClient, type CreateXClientOptions } from './x/create-x-client';
export * from './secrets-provider';
