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
  constructor(
    private readonly env: Record<string, string | undefined> = process.env,
    /**
     * When set, only variables with this prefix are secrets (X_TOKEN_ for the X tokens a
     * tenant names): the process's other variables (DATABASE_URL, provider keys) never are.
     */
    private readonly namePrefix = '',
  ) {}

  async get(ref: string, options: { signal?: AbortSignal } = {}): Promise<string> {
    options.signal?.throwIfAborted();
    const name = ENV_REF.exec(ref)?.[1];
    if (!name)
      throw new InvalidSecretRefError(
        `secret reference must be env:NAME with NAME of capitals, digits and _ (like env:X_TOKEN_ACME); got ${ref.startsWith('env:') ? `env:${describeBadRef(ref.slice(4))}` : describeBadRef(ref)}`,
      );
    if (!name.startsWith(this.namePrefix))
      throw new InvalidSecretRefError(
        `secret reference must name a variable ${this.namePrefix}<NAME> (like env:${this.namePrefix}ACME); other variables are not secrets to hand out`,
      );
    const value = this.env[name];
    const file = this.env[`${name}_FILE`];
    if (value && file) throw new SecretNotFoundError(ref, `both ${name} and ${name}_FILE are set; keep one`);
    if (value) return value;
    if (file) return this.fromFile(ref, name, file, options.signal);
    throw new SecretNotFoundError(ref);
  }

  /** The secret in the file NAME_FILE names; a file that cannot be read or is empty is reported with the reason, never its path (tenants see the error) or content. */
  private async fromFile(ref: string, name: string, file: string, signal: AbortSignal | undefined): Promise<string> {
    let content: string;
    try {
      content = (await readFile(file, { encoding: 'utf8', signal })).replace(/\r?\n$/, '');
    } catch (error) {
      signal?.throwIfAborted();
      throw new SecretNotFoundError(ref, `the file ${name}_FILE names cannot be read (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
    }
    if (!content) throw new SecretNotFoundError(ref, `the file ${name}_FILE names is empty`);
    return content;
  }
}
