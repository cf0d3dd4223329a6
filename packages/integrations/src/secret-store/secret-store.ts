import { Counter, type Registry } from 'prom-client';
import { SecretNotFoundError } from '../secrets-provider/secrets-provider';
import { type SecretBackend, SecretWriteError } from './secret-backend';
import { checkSecretName } from './secret-name';

export interface SecretStoreOptions {
  /** The places looked, in order (the environment last). */
  backends: readonly SecretBackend[];
  /** Milliseconds a value found is reused; 0 reads every time. Misses are never cached, so a secret added is found at once. */
  cacheTtlMs: number;
  /** The clock of the cache (tests inject one). */
  now?: () => number;
  /** The app's metrics registry; none: counted but not exported. */
  registry?: Registry;
  /** Where setSecret writes; the first backend that can write by default. */
  writeTo?: SecretBackend;
}

const LOOKUPS = 'conveyor_secret_lookups_total';

/**
 * getSecret(name): the first backend that holds the name wins. A miss everywhere is a
 * SecretNotFoundError naming the secret and every place looked, never a value.
 */
export class SecretStore {
  private readonly cache = new Map<string, { value: string; until: number }>();
  private readonly lookups: Counter<'source' | 'result'>;
  private readonly now: () => number;

  constructor(private readonly options: SecretStoreOptions) {
    this.now = options.now ?? Date.now;
    this.lookups = new Counter({
      name: LOOKUPS,
      help: 'Secret lookups by where the value came from (cache or a backend) or missing; never the name or the value',
      labelNames: ['source', 'result'],
      registers: [],
    });
    if (options.registry && !options.registry.getSingleMetric(LOOKUPS)) options.registry.registerMetric(this.lookups);
  }

  async getSecret(name: string, options: { signal?: AbortSignal } = {}): Promise<string> {
    checkSecretName(name);
    const cached = this.cache.get(name);
    if (cached && cached.until > this.now()) {
      this.lookups.inc({ source: 'cache', result: 'found' });
      return cached.value;
    }
    this.cache.delete(name);
    for (const backend of this.options.backends) {
      const value = await backend.read(name, options);
      if (value === undefined) continue;
      this.lookups.inc({ source: backend.kind, result: 'found' });
      if (this.options.cacheTtlMs > 0) this.cache.set(name, { value, until: this.now() + this.options.cacheTtlMs });
      return value;
    }
    this.lookups.inc({ source: 'none', result: 'missing' });
    throw new SecretNotFoundError(name, `looked in ${joinPlaces(this.options.backends.map((b) => b.describe(name)))}`);
  }

  /** Where setSecret writes: the first writable backend, or undefined when none is configured. */
  get writableBackend(): SecretBackend | undefined {
    return this.options.writeTo ?? this.options.backends.find((b) => b.write);
  }

  /** Lets go of the backends' connections (the Secret Manager client). */
  async close(): Promise<void> {
    for (const backend of this.options.backends) await backend.close?.();
  }

  /** Stores a value in the writable backend and forgets the cached one; returns where it went (never the value). */
  async setSecret(name: string, value: string): Promise<string> {
    checkSecretName(name);
    if (!value) throw new SecretWriteError(`the value of secret ${name} is empty`);
    const backend = this.writableBackend;
    if (!backend?.write)
      throw new SecretWriteError('no writable secrets backend is configured: set SECRETS_DIR to a directory (or SECRET_MANAGER_ENABLED=true)');
    await backend.write(name, value);
    this.cache.delete(name);
    return backend.describe(name);
  }
}

/** "a, b and c". */
const joinPlaces = (places: string[]) => (places.length > 1 ? `${places.slice(0, -1).join(', ')} and ${places.at(-1)}` : places[0]!);
