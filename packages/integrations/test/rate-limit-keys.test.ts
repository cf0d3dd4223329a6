import { createTestRedis, deleteKeysWithPrefix, mastersOfTestRedis, uniquePrefix } from '@conveyor/testkit';
import calculateSlot, { generateMulti } from 'cluster-key-slot';
import { xRateKeys } from '../src';
import { ManualClock, closeAll, limiterOn } from './limiter-helpers';

const prefix = uniquePrefix('xrl-keys');
afterAll(async () => {
  closeAll();
  await deleteKeysWithPrefix(prefix);
});

describe('the X limiter’s Redis keys', () => {
  it('hash on the account alone: both keys of a script in one Redis Cluster slot, accounts spread over slots', () => {
    const keys = xRateKeys('conveyor', '3f0e2a4c-5b7d-4e8f-9a1b-2c3d4e5f6a7b', 'POST /2/tweets');
    expect(keys).toEqual({
      window: 'conveyor:xrl:{3f0e2a4c-5b7d-4e8f-9a1b-2c3d4e5f6a7b}:POST /2/tweets',
      inFlight: 'conveyor:xrl:{3f0e2a4c-5b7d-4e8f-9a1b-2c3d4e5f6a7b}:POST /2/tweets:inflight',
    });
    expect(generateMulti([keys.window, keys.inFlight])).toBe(calculateSlot('3f0e2a4c-5b7d-4e8f-9a1b-2c3d4e5f6a7b'));
    // Every endpoint of an account in the same slot; other accounts elsewhere.
    expect(generateMulti(['GET /2/users/me', 'POST /2/media/upload'].flatMap((e) => Object.values(xRateKeys('p', 'acct-1', e as never))))).toBe(
      calculateSlot('acct-1'),
    );
    const slots = new Set(Array.from({ length: 20 }, (_, i) => calculateSlot(xRateKeys('p', `acct-${i}`, 'POST /2/tweets').window)));
    expect(slots.size).toBeGreaterThan(10);
  });

  it('refuses a brace in the account id or the prefix, which would move the hash tag', () => {
    expect(() => xRateKeys('p', '{other}', 'POST /2/tweets')).toThrow(/no braces/);
    expect(() => xRateKeys('p', '', 'POST /2/tweets')).toThrow(/non-empty/);
    expect(() => xRateKeys('{p}', 'a', 'POST /2/tweets')).toThrow(/prefix must hold no braces/);
  });

  it('are the only keys the scripts write, and they expire', async () => {
    const clock = new ManualClock();
    const limiter = limiterOn(prefix, { now: clock.now });
    const acct = { accountId: 'keys-acct', tier: 'basic' as const };
    await limiter.acquire(acct, 'GET /2/tweets');
    await limiter.observe(acct, 'GET /2/tweets', { limit: 15, remaining: 14, resetEpochSec: Math.ceil(clock.ms / 1000) + 900 }, 200);
    await limiter.acquire(acct, 'GET /2/tweets');
    const redis = createTestRedis();
    try {
      const found: string[] = [];
      for (const node of await mastersOfTestRedis(redis)) found.push(...(await node.keys(`${prefix}:*`)));
      const { window, inFlight } = xRateKeys(prefix, 'keys-acct', 'GET /2/tweets');
      expect(found.sort()).toEqual([window, inFlight].sort());
      for (const key of found) expect(await redis.pttl(key)).toBeGreaterThan(0);
    } finally {
      redis.disconnect();
    }
  });
});
