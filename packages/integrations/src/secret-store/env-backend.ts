import type { SecretBackend } from './secret-backend';
import { envVariableOf } from './secret-name';

/** The environment: the default and the fallback, always the last place looked. Empty counts as unset. Read-only. */
export class EnvSecretBackend implements SecretBackend {
  readonly kind = 'env';
  constructor(private readonly env: Record<string, string | undefined> = process.env) {}

  describe(name: string): string {
    return `the environment variable ${envVariableOf(name)}`;
  }

  read(name: string): Promise<string | undefined> {
    return Promise.resolve(this.env[envVariableOf(name)] || undefined);
  }
}
