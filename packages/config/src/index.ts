export { APPS, appEntry, workerDefaultPort, type AppEntry, type AppName } from './app-registry';
export { ConfigError } from './config-error';
export { parseEnv, loadConfigOrExit } from './parse-env';
export * from './schemas';
export * from './media-fetch';
export { xRateLimitEnvSchema, type XRateLimitEnv } from './x-rate-limit-env';
export * from './x-api';
export * from './publishing-env';
export * from './secrets-env';
