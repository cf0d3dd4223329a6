import { DeferTaskError, type XEndpoint, type XRateLimitOverrides, type XTier } from '@conveyor/contracts';
import { XSimulator } from '@conveyor/sim';
import { deleteKeysWithPrefix, uniquePrefix } from '@conveyor/testkit';
import { Registry } from 'prom-client';
import { XApiError, toTaskError, type RedisXRateLimiter } from '../src';
import { ManualClock, closeAll, limiterOn } from './limiter-helpers';

// The limiter in front of the real X simulator, over HTTP: two limiters on Redis connections of
// their own stand for two worker processes, each running several posts at once. The simulator
// and both limiters read one hand-moved clock, so windows of a day pass without waiting: when no
// post can run, the clock jumps to the earliest time one was deferred to. The simulator answers
// 429 to every request past its limit, so its 429s, less the ones injected, are the calls the
// limiter let through too many.

const prefix = uniquePrefix('xrl-sim');
const EP: XEndpoint = 'POST /2/tweets';
const clock = new ManualClock();
/** The 30th, 70th and 110th request the simulator lets through get an injected 429 (X refusing anyway). */
const injectedAt = new Set([30, 70, 110]);
let draws = 0;
const sim = new XSimulator({
  now: clock.now,
  accounts: [
    { token: 'tok-free', id: '300', username: 'free_poster', tier: 'free' },
    { token: 'tok-pro', id: '400', username: 'pro_poster', tier: 'pro' },
    { token: 'tok-basic', id: '500', username: 'basic_poster', tier: 'basic' },
  ],
  random: () => (injectedAt.has(++draws) ? 0 : 0.99),
});
let base = '';
beforeAll(async () => (base = await sim.listen()));
afterAll(async () => {
  await sim.close();
  closeAll();
  await deleteKeysWithPrefix(prefix);
});

/** Who posts, and the clock of its worker processes (Redis's and theirs: one host). */
interface Account {
  accountId: string;
  tier: XTier;
  token: string;
  now: () => number;
}

interface Task {
  text: string;
  runAt: number;
  deferrals: number;
  /** The 429s X answered this post with (the injected ones may fall on one post twice: the order of concurrent calls decides). */
  refusals: number;
  outcome?: 'published' | Error;
}

/**
 * One publish attempt as the X client will make it (a stand-in for XApiClient: acquire before
 * the call, observe after, a 429 made a rate_limited XApiError), mapped by toTaskError to what
 * the queue sees.
 */
async function publishOnce(limiter: RedisXRateLimiter, account: Account, task: Task): Promise<void> {
  try {
    await limiter.acquire(account, EP);
    const res = await fetch(`${base}/2/tweets`, {
      method: 'POST',
      headers: { authorization: `Bearer ${account.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ text: task.text }),
    });
    await res.arrayBuffer();
    const header = (name: string) => Number(res.headers.get(`x-rate-limit-${name}`));
    const headers = { limit: header('limit'), remaining: header('remaining'), resetEpochSec: header('reset') };
    await limiter.observe(account, EP, headers, res.status);
    if (res.status === 429) {
      task.refusals += 1;
      throw new XApiError('X answered 429 Too Many Requests', 'rate_limited', EP, 429, headers.resetEpochSec * 1000);
    }
    if (res.status !== 201) throw new Error(`X answered ${res.status}`);
  } catch (error) {
    throw error instanceof XApiError ? toTaskError(error, account.now()) : error;
  }
}

/** Runs every post to an end: each process runs `slots` at once; a deferred post waits its delay. */
async function publishAll(processes: RedisXRateLimiter[], account: Account, count: number, slots: number) {
  const tasks: Task[] = Array.from({ length: count }, (_, i) => ({ text: `${account.accountId} post ${i}`, runAt: clock.ms, deferrals: 0, refusals: 0 }));
  for (let round = 1; tasks.some((t) => !t.outcome); round++) {
    if (round > 500) throw new Error(`not done after 500 rounds: ${tasks.filter((t) => !t.outcome).length} posts left`);
    const due = tasks.filter((t) => !t.outcome && t.runAt <= clock.ms);
    const worker = async (limiter: RedisXRateLimiter) => {
      for (let task = due.shift(); task; task = due.shift()) {
        try {
          await publishOnce(limiter, account, task);
          task.outcome = 'published';
        } catch (error) {
          if (!(error instanceof DeferTaskError)) {
            task.outcome = error as Error;
          } else {
            task.runAt = clock.ms + error.delayMs;
            task.deferrals++;
          }
        }
      }
    };
    await Promise.all(processes.flatMap((limiter) => Array.from({ length: slots }, () => worker(limiter))));
    const pending = tasks.filter((t) => !t.outcome).map((t) => t.runAt);
    if (pending.length) clock.ms = Math.max(clock.ms, Math.min(...pending));
  }
  return tasks;
}

/** The simulator's answers to the account's posts, by status. */
const statuses = (userId: string) => {
  const counts: Record<number, number> = {};
  for (const r of sim.requests.filter((r) => r.userId === userId && r.endpoint === EP)) counts[r.status] = (counts[r.status] ?? 0) + 1;
  return counts;
};

it('publishes 300 posts of one free-tier account through two processes: X never sees its limit exceeded, and its 429s defer posts instead of failing them', async () => {
  const registry = new Registry();
  // The limiters' clock (Redis's, in production) runs 0.9 s ahead of X's: within the margin.
  const now = () => sim.now() + 900;
  const processes = [limiterOn(prefix, { now, registry }), limiterOn(prefix, { now, registry })];
  sim.addFault({ endpoint: EP, status: 429, probability: 0.5, times: injectedAt.size });
  const account = { accountId: 'free-account', tier: 'free' as const, token: 'tok-free', now };
  const started = clock.ms;

  const tasks = await publishAll(processes, account, 300, 4);

  expect(tasks.filter((t) => t.outcome !== 'published')).toEqual([]);
  const published = sim.posts.all.filter((p) => p.author_id === '300').map((p) => p.text);
  expect(published.sort()).toEqual(tasks.map((t) => t.text).sort());
  // 300 posts and the 3 refused: every 429 was an injected one, none for a call past the limit.
  expect(statuses('300')).toEqual({ 201: 300, 429: injectedAt.size });
  const refused = tasks.filter((t) => t.refusals > 0);
  expect(refused.reduce((sum, t) => sum + t.refusals, 0)).toBe(injectedAt.size);
  for (const task of refused) {
    expect(task.outcome).toBe('published');
    expect(task.deferrals).toBeGreaterThanOrEqual(task.refusals);
  }
  // 17 a day: 300 posts take 18 days, and each injected 429 spends the rest of its day.
  const days = (clock.ms - started) / (24 * 60 * 60_000);
  expect(days).toBeGreaterThan(17);
  expect(days).toBeLessThan(300 / 17 + injectedAt.size + 1);
  const limited = (await registry.getSingleMetric('conveyor_x_rate_limited_total')!.get()).values;
  expect(limited).toEqual([{ labels: { endpoint: EP, tier: 'free' }, value: injectedAt.size }]);
});

it("spends a basic account's whole day (100 posts) at eight posts in flight per process: answers that overlap leave no call of the window unused", async () => {
  const limiterOf = () => limiterOn(prefix, { now: () => sim.now() });
  const account = { accountId: 'basic-account', tier: 'basic' as const, token: 'tok-basic', now: () => sim.now() };
  // X's answers do not come back in the order it counted the calls: the first four it counts
  // (the window's first call, then three of the burst) are answered after later ones.
  sim.addFault({ endpoint: EP, delayMs: 50, times: 4 });
  const started = clock.ms;

  const tasks = await publishAll([limiterOf(), limiterOf()], account, 100, 8);

  expect(tasks.filter((t) => t.outcome !== 'published')).toEqual([]);
  expect(statuses('500')).toEqual({ 201: 100 });
  // All within X's first window: the clock moved on only for the waits on the window's first
  // answer (a second each), never to the next day for a call the limiter wrongly thought spent.
  expect(clock.ms - started).toBeLessThan(60_000);
});

it('keeps a short window (5 posts per 2 s) of a pro account with eight posts in flight per process', async () => {
  const limits: XRateLimitOverrides = { pro: { [EP]: { limit: 5, windowMs: 2_000 } } };
  const limiterOf = () => limiterOn(prefix, { now: () => sim.now(), limits });
  // The simulator counts with the same override.
  const res = await fetch(`${base}/_sim/rate-limits`, { method: 'POST', body: JSON.stringify({ tier: 'pro', endpoint: EP, limit: 5, windowMs: 2_000 }) });
  expect(res.status).toBe(200);
  const account = { accountId: 'pro-account', tier: 'pro' as const, token: 'tok-pro', now: () => sim.now() };

  const tasks = await publishAll([limiterOf(), limiterOf()], account, 60, 8);

  expect(tasks.filter((t) => t.outcome !== 'published')).toEqual([]);
  expect(statuses('400')).toEqual({ 201: 60 });
});
