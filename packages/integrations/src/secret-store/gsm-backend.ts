import { crc32c } from '@aws-crypto/crc32c';
import type { SecretManagerServiceClient } from '@google-cloud/secret-manager';
import type { CallOptions } from 'google-gax';
import { SecretNotFoundError } from '../secrets-provider/secrets-provider';
import { type SecretBackend, SecretWriteError } from './secret-backend';

/** gRPC status codes google-gax gives its errors (NOT_FOUND is "not here": the next place is tried). */
const NOT_FOUND = 5;
const STATUS: Record<number, string> = { 3: 'INVALID_ARGUMENT', 5: 'NOT_FOUND', 7: 'PERMISSION_DENIED', 14: 'UNAVAILABLE', 16: 'UNAUTHENTICATED' };
const statusOf = (error: unknown) => {
  const code = (error as { code?: unknown }).code;
  return typeof code === 'number' ? (STATUS[code] ?? `gRPC status ${code}`) : 'no answer';
};
/** Secret Manager's secret ids: letters, digits, _ and - (no `.`, which our names allow). */
const GSM_ID = /^[A-Za-z0-9_-]{1,255}$/;

/**
 * Google Secret Manager: a name is the secret of that id in GCP_PROJECT_ID, its latest version.
 * Errors carry the status only (Google's messages name resources, never payloads, but nothing
 * of an answer is repeated). Writing adds a version, creating the secret (automatic
 * replication) the first time.
 */
export class GsmSecretBackend implements SecretBackend {
  readonly kind = 'gsm';
  constructor(
    private readonly client: SecretManagerServiceClient,
    private readonly projectId: string,
    /** google-gax call options: 10 s in all, the client's own retries of UNAVAILABLE included, so a lookup never hangs a task for its 60 s default. */
    private readonly callOptions: CallOptions = { timeout: 10_000 },
  ) {}

  close(): Promise<void> {
    return this.client.close();
  }

  describe(name: string): string {
    return `Secret Manager projects/${this.projectId}/secrets/${name} (latest version)`;
  }

  async read(name: string, options: { signal?: AbortSignal } = {}): Promise<string | undefined> {
    if (!GSM_ID.test(name)) return undefined;
    options.signal?.throwIfAborted();
    let version;
    try {
      [version] = await this.client.accessSecretVersion({ name: `projects/${this.projectId}/secrets/${name}/versions/latest` }, this.callOptions);
    } catch (error) {
      if ((error as { code?: unknown }).code === NOT_FOUND) return undefined;
      throw new SecretNotFoundError(name, `Secret Manager did not answer for projects/${this.projectId}/secrets/${name} (${statusOf(error)})`);
    }
    options.signal?.throwIfAborted();
    const data = version.payload?.data;
    const bytes = typeof data === 'string' ? Buffer.from(data, 'base64') : data ? Buffer.from(data) : Buffer.alloc(0);
    const expected = version.payload?.dataCrc32c;
    if (expected !== undefined && expected !== null && String(expected) !== String(crc32c(bytes)))
      throw new SecretNotFoundError(name, `Secret Manager's answer for projects/${this.projectId}/secrets/${name} fails its checksum (corrupted in transit)`);
    return bytes.toString('utf8') || undefined;
  }

  async write(name: string, value: string): Promise<void> {
    if (!GSM_ID.test(name)) throw new SecretWriteError(`Secret Manager ids are letters, digits, _ and - only; rename ${name} without .`);
    const parent = `projects/${this.projectId}/secrets/${name}`;
    const data = Buffer.from(value);
    const addVersion = () => this.client.addSecretVersion({ parent, payload: { data, dataCrc32c: crc32c(data) } }, this.callOptions);
    try {
      try {
        await addVersion();
      } catch (error) {
        if ((error as { code?: unknown }).code !== NOT_FOUND) throw error;
        await this.client.createSecret({ parent: `projects/${this.projectId}`, secretId: name, secret: { replication: { automatic: {} } } }, this.callOptions);
        await addVersion();
      }
    } catch (error) {
      throw new SecretWriteError(`Secret Manager refused a new version of ${parent} (${statusOf(error)})`);
    }
  }
}
