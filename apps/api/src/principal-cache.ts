import { type Principal, hashApiKey } from '@conveyor/db';

interface Entry {
  principal: Principal | undefined;
  expiresAt: number;
}

export interface PrincipalCacheOptions {
  /** Milliseconds an unknown key is remembered as unknown (default: 2 s, at most ttlMs). */
  missTtlMs?: number;
  maxEntries?: number;
}

/**
 * Remembers the principal of each API key seen in the last ttlMs, so most requests need no
 * lookup in Postgres; a revoked key keeps working for at most ttlMs. An unknown key is
 * remembered as unknown for a short missTtlMs (a negative cache), so a client repeating a bad
 * key costs Postgres one lookup per missTtlMs rather than one per request; a key created a
 * moment after it was tried works once that has passed. Keys are held by their SHA-256 only.
 * ttlMs 0 turns the cache off.
 */
export class PrincipalCache {
  private readonly entries = new Map<string, Entry>();
  private readonly missTtlMs: number;
  private readonly maxEntries: number;

  constructor(
    private readonly lookup: (key: string) => Promise<Principal | undefined>,
    private readonly ttlMs: number,
    options: PrincipalCacheOptions = {},
  ) {
    this.missTtlMs = Math.min(options.missTtlMs ?? 2000, ttlMs);
    this.maxEntries = options.maxEntries ?? 10_000;
  }

  /** The key's principal if it is remembered and still fresh; never looks anything up. */
  cached(key: string): Principal | undefined {
    const entry = this.ttlMs > 0 ? this.entries.get(hashApiKey(key)) : undefined;
    return entry && entry.expiresAt > Date.now() ? entry.principal : undefined;
  }

  async get(key: string): Promise<Principal | undefined> {
    if (this.ttlMs <= 0) return this.lookup(key);
    const hash = hashApiKey(key);
    const now = Date.now();
    const cached = this.entries.get(hash);
    if (cached && cached.expiresAt > now) return cached.principal;
    const principal = await this.lookup(key);
    this.entries.delete(hash);
    const ttl = principal ? this.ttlMs : this.missTtlMs;
    if (ttl > 0) {
      // Map keeps insertion order: past the limit, the oldest entry goes.
      if (this.entries.size >= this.maxEntries) this.entries.delete(this.entries.keys().next().value!);
      this.entries.set(hash, { principal, expiresAt: now + ttl });
    }
    return principal;
  }
}
