import type { Registry } from 'prom-client';
import { DirectorySecretBackend } from './directory-backend';
import { EnvSecretBackend } from './env-backend';
import type { SecretBackend } from './secret-backend';
import { SecretStore } from './secret-store';

/** What createSecretStore reads: secretsEnvSchema of @conveyor/config, parsed. */
export interface SecretStoreConfig {
  SECRETS_DIR?: string | undefined;
  SECRETS_CACHE_TTL_MS: number;
}

/** The store configuration asks for: the secrets directory when set, then the environment (always, last). */
export function createSecretStore(
  config: SecretStoreConfig,
  options: { env?: Record<string, string | undefined>; now?: () => number; registry?: Registry } = {},
): SecretStore {
  const backends: SecretBackend[] = [];
  if (config.SECRETS_DIR) backends.push(new DirectorySecretBackend(config.SECRETS_DIR));
  backends.push(new EnvSecretBackend(options.env ?? process.env));
  return new SecretStore({ backends, cacheTtlMs: config.SECRETS_CACHE_TTL_MS, now: options.now, registry: options.registry });
}
