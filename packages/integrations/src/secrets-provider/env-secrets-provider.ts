import { readFile } from 'node:fs/promises';
import { InvalidSecretRefError, SecretNotFoundError, describeBadRef, type SecretsProvider } from './secrets-provider';

/** The form of an `env:` reference: an environment variable's name in capitals. */
const ENV_REF = /^env:([A-Z_][A-Z0-9_]*)$/;

/**
 * Secrets from the process environment (`env:NAME` reads NAME): what Kubernetes' secretKeyRef and
 * Docker's env files give a container. An empty variable counts as unset, as in the app config.
 * When NAME is unset, `NAME_FILE` names a file holding it (Docker and Compose mount secrets as
 * files, the convention packages/config follows for its own variables): read at every call, so
 * a rotated file is used without a restart; one trailing newline is dropped.
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
    const file = this.env[`${name}_FILE`];
    if (value && file) throw new SecretNotFoundError(ref, `both ${name} and ${name}_FILE are set; keep one`);
    if (value) return value;
    if (file) return this.fromFile(ref, name, file, options.signal);
    throw new SecretNotFoundError(ref);
  }

  /** The secret in the file NAME_FILE names; a file that cannot be read or is empty is named with the reason, never its content. */
  private async fromFile(ref: string, name: string, file: string, signal: AbortSignal | undefined): Promise<string> {
    let content: string;
    try {
      content = (await readFile(file, { encoding: 'utf8', signal })).replace(/\r?\n$/, '');
    } catch (error) {
      signal?.throwIfAborted();
      throw new SecretNotFoundError(ref, `${name}_FILE=${file} cannot be read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
    }
    if (!content) throw new SecretNotFoundError(ref, `${name}_FILE=${file} is empty`);
    return content;
  }
}
