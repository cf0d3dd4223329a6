import { EnvSecretsProvider } from './env-secrets-provider';
import { InvalidSecretRefError, describeBadRef, splitSecretRef, type SecretsProvider } from './secrets-provider';

export interface SecretsBackends {
  /** The environment `env:` references read; process.env by default. */
  env?: Record<string, string | undefined>;
  /** Only variables with this prefix are `env:` secrets (X_TOKEN_ in the publishing worker). */
  envNamePrefix?: string;
}

/**
 * Dispatches each reference to the backend of its scheme (`env:` today; a secret manager's
 * scheme is one more entry here) and refuses a scheme it does not know, naming the known ones.
 */
export class SchemeSecretsProvider implements SecretsProvider {
  constructor(private readonly backends: ReadonlyMap<string, SecretsProvider>) {}

  get(ref: string, options?: { signal?: AbortSignal }): Promise<string> {
    const scheme = splitSecretRef(ref)?.scheme;
    const backend = scheme === undefined ? undefined : this.backends.get(scheme);
    if (backend) return backend.get(ref, options);
    const known = [...this.backends.keys()].map((s) => `${s}:`).join(', ');
    const what = scheme === undefined ? `${describeBadRef(ref)} without a scheme` : `the unknown scheme ${scheme}:`;
    return Promise.reject(new InvalidSecretRefError(`secret reference must start with one of ${known} (like env:X_TOKEN_ACME); got ${what}`));
  }
}

/** The secrets provider of a process: every backend it is configured for, by scheme. */
export function createSecretsProvider(backends: SecretsBackends = {}): SecretsProvider {
  return new SchemeSecretsProvider(new Map([['env', new EnvSecretsProvider(backends.env ?? process.env, backends.envNamePrefix)]]));
}
