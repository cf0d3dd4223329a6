import type { Registry } from 'prom-client';
import { DirectorySecretBackend } from './directory-backend';
import { EnvSecretBackend } from './env-backend';
import { GsmSecretBackend } from './gsm-backend';
import { createGsmClient } from './gsm-client';
import type { SecretBackend } from './secret-backend';
import { SecretStore } from './secret-store';

/** What createSecretStore reads: secretsEnvSchema of @conveyor/config, parsed. */
export interface SecretStoreConfig {
  SECRETS_DIR?: string | undefined;
  SECRETS_CACHE_TTL_MS: number;
  SECRET_MANAGER_ENABLED?: boolean;
  GCP_PROJECT_ID?: string | undefined;
  SECRET_MANAGER_ENDPOINT?: string | undefined;
}

/**
 * The store configuration asks for: the secrets directory when set (files mounted next to the
 * process win), Secret Manager when enabled, then the environment (always, last). Writes go to
 * Secret Manager when it is enabled (the store every instance shares), else to the directory.
 */
export function createSecretStore(
  config: SecretStoreConfig,
  options: { env?: Record<string, string | undefined>; now?: () => number; registry?: Registry } = {},
): SecretStore {
  const backends: SecretBackend[] = [];
  if (config.SECRETS_DIR) backends.push(new DirectorySecretBackend(config.SECRETS_DIR));
  let gsm: GsmSecretBackend | undefined;
  if (config.SECRET_MANAGER_ENABLED) {
    if (!config.GCP_PROJECT_ID) throw new Error('GCP_PROJECT_ID is required when SECRET_MANAGER_ENABLED=true');
    gsm = new GsmSecretBackend(createGsmClient(config.SECRET_MANAGER_ENDPOINT), config.GCP_PROJECT_ID);
    backends.push(gsm);
  }
  backends.push(new EnvSecretBackend(options.env ?? process.env));
  return new SecretStore({ backends, cacheTtlMs: config.SECRETS_CACHE_TTL_MS, now: options.now, registry: options.registry, writeTo: gsm });
}
