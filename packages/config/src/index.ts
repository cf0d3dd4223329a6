export { ConfigError } from './config-error';
export { parseEnv, loadConfigOrExit } from './parse-env';
export * from './schemas';
