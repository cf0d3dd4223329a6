import { RedisXRateLimiter, XApiError, xRateKeys } from '@conveyor/integrations';
import { type RedisClient, createWorkerRedis } from '@conveyor/queue';
import { TEST_REDIS_CLUSTER_NODES, TEST_REDIS_URL, deleteKeysWithPrefix, mastersOfTestRedis, parseClusterNodes, uniquePrefix } from '@conveyor/testkit';
import type { Redis } from 'ioredis';

// The X limiter's scripts on a cluster: each touches the two keys of one account and endpoint,
// which share the account's hash tag, so no script is refused with CROSSSLOT; the accounts
// spread over the masters; two processes (two cluster clients) still share one budget.

const prefix = uniquePrefix('xrl-cluster');
const clients: RedisClient[] = [];
const client = () => {
  const redis = createWorkerRedis(TEST_REDIS_URL, parseClusterNodes(TEST_REDIS_CLUSTER_NODES ?? ''));
  clients.push(redis);
  return redis;
};
afterAll(async () => {
  for (const redis of clients) redis.disconnect();
  await deleteKeysWithPrefix(prefix);
});

it('runs acquire and observe for accounts on every master, and shares one budget between two clients', async () => {
  const now = () => Date.parse('2026-12-05T00:00:00Z');
  const limits = { pro: { 'POST /2/tweets': { limit: 10 } } };
  const processes = [new RedisXRateLimiter(client(), { keyPrefix: prefix, now, limits }), new RedisXRateLimiter(client(), { keyPrefix: prefix, now, limits })];
  const accounts = Array.from({ length: 12 }, (_, i) => ({ accountId: `cluster-acct-${i}`, tier: 'pro' as const }));
  const resetEpochSec = Math.ceil(now() / 1000) + 900;
  for (const account of accounts) {
    await processes[0]!.acquire(account, 'POST /2/tweets');
    await processes[1]!.observe(account, 'POST /2/tweets', { limit: 10, remaining: 9, resetEpochSec }, 201);
  }
  const outcomes = await Promise.all(
    accounts.flatMap((account) =>
      Array.from({ length: 20 }, (_, i) =>
        processes[i % 2]!.acquire(account, 'POST /2/tweets').then(
          () => 'ok',
          (error: unknown) => (error instanceof XApiError && error.kind === 'rate_limited' ? 'waits' : Promise.reject(error)),
        ),
      ),
    ),
  );
  expect(outcomes.filter((o) => o === 'ok')).toHaveLength(accounts.length * 9);

  const masters = await mastersOfTestRedis(clients[0]!);
  const holders = new Set<number>();
  for (const account of accounts) {
    const { window, inFlight } = xRateKeys(prefix, account.accountId, 'POST /2/tweets');
    const holding = [];
    for (const master of masters) if ((await existing(master, [window, inFlight])) === 2) holding.push(master.options.port!);
    expect(holding).toHaveLength(1);
    holders.add(holding[0]!);
  }
  expect(holders.size).toBeGreaterThan(1);
});

/** How many of keys (of one slot) this node holds; 0 when the slot is another node's. */
function existing(node: Redis, keys: string[]): Promise<number> {
  return node.exists(...keys).catch((error: Error) => (/MOVED/.test(error.message) ? 0 : Promise.reject(error)));
}
