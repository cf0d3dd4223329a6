import { InvalidSecretRefError, SecretNotFoundError, describeBadRef, type SecretsProvider } from './secrets-provider';

/** The form of an `env:` reference: an environment variable's name in capitals. */
const ENV_REF = /^env:([A-Z_][A-Z0-9_]*)$/;

/**
 * Secrets from the process environment (`env:NAME` reads NAME): what Kubernetes' secretKeyRef and
 * Docker's env files give a container. An empty variable counts as unset, as in the app config.
 */
export class EnvSecretsProvider implements SecretsProvider {
  constructor(private readonly env: Record<string, string | undefined> = process.env) {}

  async get(ref: string, options: { signal?: AbortSignal } = {}): Promise<string> {
    options.signal?.throwIfAborted();
    const name = ENV_REF.exec(ref)?.[1];
    if (!name)
      throw new InvalidSecretRefError(
        `secret reference must be env:NAME with NAME of capitals, digits and _ (like env:X_TOKEN_ACME); got ${ref.startsWith('env:') ? `env:${describeBadRef(ref.slice(4))}` : describeBadRef(ref)}`,
      );
    const value = this.env[name];
    if (value === undefined || value === '') throw new SecretNotFoundError(ref);
    return value;
  }
}
