import { type Principal, hashApiKey } from '@conveyor/db';

/**
 * Remembers the principal of each API key seen in the last ttlMs, so most requests need no
 * lookup in Postgres. Keys are held by their SHA-256 only. A key that is not found is not
 * remembered (a key created a moment ago works at once); a revoked key keeps working for at
 * most ttlMs. ttlMs 0 turns the cache off.
 */
export class PrincipalCache {
  private readonly entries = new Map<string, { principal: Principal; expiresAt: number }>();

  constructor(
    private readonly lookup: (key: string) => Promise<Principal | undefined>,
    private readonly ttlMs: number,
    private readonly maxEntries = 10_000,
  ) {}

  async get(key: string): Promise<Principal | undefined> {
    if (this.ttlMs <= 0) return this.lookup(key);
    const hash = hashApiKey(key);
    const now = Date.now();
    const cached = this.entries.get(hash);
    if (cached && cached.expiresAt > now) return cached.principal;
    const principal = await this.lookup(key);
    this.entries.delete(hash);
    if (principal) {
      // Map keeps insertion order: past the limit, the oldest entry goes.
      if (this.entries.size >= this.maxEntries) this.entries.delete(this.entries.keys().next().value!);
      this.entries.set(hash, { principal, expiresAt: now + this.ttlMs });
    }
    return principal;
  }
}
