import { DeferTaskError } from '@conveyor/contracts';
import { createTestRedis, deleteKeysWithPrefix, uniquePrefix } from '@conveyor/testkit';
import { Registry } from 'prom-client';
import { TokenBucketLimiter } from '../src';

const prefix = uniquePrefix('tb');
// Two connections: two worker processes, as far as Redis can tell.
const connections = [createTestRedis(), createTestRedis()];
let now = Date.parse('2026-12-05T00:00:00Z');
const clock = () => now;
const limiters = connections.map((redis) => new TokenBucketLimiter(redis, { keyPrefix: prefix, now: clock }));
afterAll(async () => {
  for (const c of connections) c.disconnect();
  await deleteKeysWithPrefix(prefix);
});

const BUCKET = { capacity: 10, refillPerSecond: 5 };

describe('the token bucket of an ingestion source', () => {
  it('gives a full bucket at once, then refills at its rate, never above capacity', async () => {
    const [a] = limiters;
    for (let i = 0; i < 10; i++) expect((await a!.take('gdelt', BUCKET)).taken).toBe(true);
    expect(await a!.take('gdelt', BUCKET)).toEqual({ taken: false, waitMs: 200, left: 0 });
    now += 1000; // 5 tokens back
    for (let i = 0; i < 5; i++) expect((await a!.take('gdelt', BUCKET)).taken).toBe(true);
    expect((await a!.take('gdelt', BUCKET)).taken).toBe(false);
    now += 3_600_000; // an hour idle: full, not more
    expect((await a!.take('gdelt', BUCKET, 10)).taken).toBe(true);
    expect((await a!.take('gdelt', BUCKET)).taken).toBe(false);
  });

  it('is shared by every process: concurrent takes from two connections never exceed the budget', async () => {
    const attempts = await Promise.all(Array.from({ length: 60 }, (_, i) => limiters[i % 2]!.take('fred', BUCKET)));
    expect(attempts.filter((t) => t.taken)).toHaveLength(10);
    now += 2000; // 10 tokens back
    const again = await Promise.all(Array.from({ length: 60 }, (_, i) => limiters[i % 2]!.take('fred', BUCKET)));
    expect(again.filter((t) => t.taken)).toHaveLength(10);
  });

  it('keeps each source to its own bucket', async () => {
    for (let i = 0; i < 10; i++) await limiters[0]!.take('reliefweb', BUCKET);
    expect((await limiters[1]!.take('reliefweb', BUCKET)).taken).toBe(false);
    expect((await limiters[1]!.take('worldbank', BUCKET)).taken).toBe(true);
  });

  it('sleeps through a short wait and defers the task for a long one, counting both', async () => {
    const registry = new Registry();
    const slept: number[] = [];
    const limiter = new TokenBucketLimiter(connections[0]!, {
      keyPrefix: prefix,
      now: clock,
      registry,
      maxSleepMs: 1000,
      sleep: async (ms) => {
        slept.push(ms);
        now += ms;
      },
    });
    const slow = { capacity: 1, refillPerSecond: 2 };
    await limiter.acquire('comtrade', slow);
    await limiter.acquire('comtrade', slow); // 500 ms: slept
    expect(slept).toEqual([500]);
    const hourly = { capacity: 1, refillPerSecond: 1 / 3600 };
    await limiter.acquire('comtrade-bulk', hourly);
    const deferred = await limiter.acquire('comtrade-bulk', hourly).catch((e: unknown) => e);
    expect(deferred).toBeInstanceOf(DeferTaskError);
    expect((deferred as DeferTaskError).delayMs).toBe(3_600_000);
    const waits = (await registry.getSingleMetric('conveyor_ingestion_rate_waits_total')!.get()).values.map((v) => [v.labels.source, v.labels.how, v.value]);
    expect(waits).toEqual(
      expect.arrayContaining([
        ['comtrade', 'slept', 1],
        ['comtrade-bulk', 'deferred', 1],
      ]),
    );
  });

  it("reckons time in Redis's clock when none is given, the same for every process", async () => {
    const [a, b] = connections.map((redis) => new TokenBucketLimiter(redis, { keyPrefix: prefix }));
    const slowly = { capacity: 1, refillPerSecond: 0.001 };
    expect((await a!.take('redis-clock', slowly)).taken).toBe(true);
    const refused = await b!.take('redis-clock', slowly);
    expect(refused.taken).toBe(false);
    expect(refused.waitMs).toBeGreaterThan(900_000); // about 1000 s, less what passed since the take
  });

  it('keeps a bucket in one cluster slot, and refuses a source name that would move it', () => {
    expect(limiters[0]!.keyOf('gdelt')).toBe(`${prefix}:tb:{gdelt}`);
    expect(() => limiters[0]!.keyOf('a}b')).toThrow(/lower-case letters/);
  });
});
