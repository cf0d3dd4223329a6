import { deleteKeysWithPrefix, uniquePrefix } from '@conveyor/testkit';
import { ManualClock, closeAll, limiterOn, resetSecOf, tryAcquire } from './limiter-helpers';

// Two limiters, each on a Redis connection of its own, stand for two worker processes: what one
// script does is atomic on the server whichever connection sent it.

const prefix = uniquePrefix('xrl-race');
afterAll(async () => {
  closeAll();
  await deleteKeysWithPrefix(prefix);
});

const limits = { pro: { 'POST /2/tweets': { limit: 50 } } };

it('lets exactly one of many concurrent first calls through while nothing is known of the window', async () => {
  const clock = new ManualClock();
  const processes = [limiterOn(prefix, { now: clock.now, limits }), limiterOn(prefix, { now: clock.now, limits })];
  const acct = { accountId: 'racing-probe', tier: 'pro' as const };
  const results = await Promise.all(Array.from({ length: 100 }, (_, i) => tryAcquire(processes[i % 2]!, acct, 'POST /2/tweets')));
  expect(results.filter((r) => r === 'ok')).toHaveLength(1);
});

it('never lets two processes together past the limit of a window, for several accounts at once', async () => {
  const clock = new ManualClock();
  const processes = [limiterOn(prefix, { now: clock.now, limits }), limiterOn(prefix, { now: clock.now, limits })];
  const accounts = ['racer-a', 'racer-b', 'racer-c'].map((accountId) => ({ accountId, tier: 'pro' as const }));
  // Each account's window becomes known from its first answer, which says all 50 are X's to give.
  for (const acct of accounts) {
    expect(await tryAcquire(processes[0]!, acct, 'POST /2/tweets')).toBe('ok');
    await processes[1]!.observe(acct, 'POST /2/tweets', { limit: 50, remaining: 49, resetEpochSec: resetSecOf(clock.ms, 15 * 60_000) }, 201);
  }
  const calls = accounts.flatMap((acct) => Array.from({ length: 150 }, (_, i) => ({ acct, limiter: processes[i % 2]! })));
  const results = await Promise.all(calls.map(({ acct, limiter }) => tryAcquire(limiter, acct, 'POST /2/tweets').then((r) => [acct.accountId, r] as const)));
  for (const acct of accounts) {
    const mine = results.filter(([id]) => id === acct.accountId).map(([, r]) => r);
    expect(mine.filter((r) => r === 'ok')).toHaveLength(49);
    expect(new Set(mine.filter((r) => r !== 'ok')).size).toBe(1);
  }
});
