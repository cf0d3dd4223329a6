import { randomUUID } from 'node:crypto';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { SecretNotFoundError } from '../secrets-provider/secrets-provider';
import { type SecretBackend, SecretWriteError } from './secret-backend';

/**
 * A directory with a file per secret, as Docker (/run/secrets) and Kubernetes (a mounted Secret
 * volume) give them. One trailing newline is dropped (what `echo value > file` adds); an empty or
 * absent file means "not here". Names are checked by the store before they reach a path.
 */
export class DirectorySecretBackend implements SecretBackend {
  readonly kind = 'directory';
  constructor(readonly dir: string) {}

  describe(name: string): string {
    return path.join(this.dir, name);
  }

  async read(name: string, options: { signal?: AbortSignal } = {}): Promise<string | undefined> {
    try {
      return (await readFile(this.describe(name), { encoding: 'utf8', signal: options.signal })).replace(/\r?\n$/, '') || undefined;
    } catch (error) {
      options.signal?.throwIfAborted();
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') return undefined;
      throw new SecretNotFoundError(name, `${this.describe(name)} cannot be read (${code ?? 'error'})`);
    }
  }

  /** Writes through a temporary file and a rename, so a reader never sees half a secret; owner-only (0600). */
  async write(name: string, value: string): Promise<void> {
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    const temporary = path.join(this.dir, `.${name}.${randomUUID()}.tmp`);
    try {
      await writeFile(temporary, value, { mode: 0o600 });
      await rename(temporary, this.describe(name));
    } catch (error) {
      await rm(temporary, { force: true });
      throw new SecretWriteError(`cannot write ${this.describe(name)} (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
    }
  }
}
