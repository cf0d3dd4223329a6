export * from './schema';
export { createDb, type ConnectOptions } from './connect';
export { migrateToLatest, migrateUrl, migrationNames, schemaFingerprint } from './migrate';
export { MIGRATIONS } from './migrations';
export * from './api-keys';
export * from './tasks';
export { isDatabaseUnavailable } from './unavailable';
