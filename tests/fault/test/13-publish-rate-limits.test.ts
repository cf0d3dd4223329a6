import { XSimulator } from '@conveyor/sim';
import { type AppStack, freePort, waitFor } from '@conveyor/testkit';
import { Client, createStack } from './support';

// Fault 13: 300 posts for one free-tier account, published by two worker processes. The
// limiter they share through Redis keeps every call within X's window (a short one here, set
// the same for the simulator and for Conveyor); the 429s X sends anyway (injected) put the
// posts off to the window's reset without spending an attempt. Every post ends published.

const POSTS = 300;
const FREE = { token: 'tok-free-load', id: '1700000000000000003', username: 'free_load', tier: 'free' as const };
// Short windows for the test, the same table for X and for Conveyor (X_RATE_LIMITS).
const LIMITS = { free: { 'POST /2/tweets': { limit: 75, windowMs: 2000 } } };
const INJECTED_429 = 3;

let stack: AppStack;
let client: Client;
let x: XSimulator;
let xBase: string;

const sim = async (path: string) => (await (await fetch(`${xBase}/_sim/${path}`)).json()) as Record<string, any>;

beforeAll(async () => {
  x = new XSimulator({ accounts: [FREE], rateLimits: LIMITS });
  xBase = await x.listen();
  stack = await createStack({
    env: { X_API_BASE_URL: xBase, X_DRY_RUN: 'false', X_TOKEN_FREE: FREE.token, X_RATE_LIMITS: JSON.stringify(LIMITS), X_METRICS_STAGES: '7d' },
  });
  const apiPort = await freePort();
  await stack.start('api', apiPort);
  await Promise.all([stack.start('worker-publishing', await freePort()), stack.start('worker-publishing', await freePort())]);
  client = new Client(`http://127.0.0.1:${apiPort}`, (await stack.createTenant('free-load', 'growth')).api_key);
}, 300_000);
afterAll(async () => {
  await stack?.stop();
  await x?.close();
}, 30_000);

it('publishes 300 posts of a free-tier account within its limits: 429s delay, nothing fails', async () => {
  const account = await client.call('POST', '/x-accounts', { handle: FREE.username, api_tier: 'free', token_secret_ref: 'env:X_TOKEN_FREE' });
  expect(account.status).toBe(201);
  await fetch(`${xBase}/_sim/faults`, { method: 'POST', body: JSON.stringify({ endpoint: 'POST /2/tweets', status: 429, times: INJECTED_429 }) });

  // Ten clients at a time, so the posts arrive faster than one window takes them.
  const taskIds: string[] = [];
  for (let start = 0; start < POSTS; start += 10) {
    const batch = Array.from({ length: Math.min(10, POSTS - start) }, async (_, j) => {
      const post = await client.call('POST', '/posts', { account_id: account.body.account_id, text: `Load post number ${start + j + 1}` });
      const publish = await client.call('POST', `/posts/${post.body.post_id as string}/publish`);
      expect(publish.status).toBe(202);
      return publish.body.task_id as string;
    });
    taskIds.push(...(await Promise.all(batch)));
  }

  await waitFor(
    async () => {
      const { body } = await client.call('GET', `/posts?account=${account.body.account_id as string}&status=published&limit=200`);
      const first = body.posts as unknown[];
      if (first.length < 200) return undefined;
      const rest = await client.call(
        'GET',
        `/posts?account=${account.body.account_id as string}&status=published&limit=200&cursor=${encodeURIComponent(body.next_cursor as string)}`,
      );
      return first.length + (rest.body.posts as unknown[]).length === POSTS ? true : undefined;
    },
    'every post to be published',
    240_000,
    500,
  );

  // X holds each post once, and refused no call for being over its limit: its only 429s are the injected ones.
  expect((await sim('posts')).posts).toHaveLength(POSTS);
  const creates = ((await sim('requests')).requests as { endpoint?: string; status: number }[]).filter((r) => r.endpoint === 'POST /2/tweets');
  expect(creates.filter((r) => r.status === 429)).toHaveLength(INJECTED_429);
  expect(creates.filter((r) => r.status === 201)).toHaveLength(POSTS);

  // The waits were deferrals, not failures: every task succeeded, none spent an attempt on a
  // retry, and at least each injected 429 put one off.
  const outcomes: string[] = [];
  for (const id of taskIds) {
    const task = await client.task(id);
    expect(task.status).toBe('SUCCESS');
    outcomes.push(...(task.attempt_history as { outcome: string }[]).map((a) => a.outcome));
  }
  expect(outcomes.filter((o) => o === 'success')).toHaveLength(POSTS);
  expect(outcomes.filter((o) => o !== 'success' && o !== 'deferred')).toEqual([]);
  expect(outcomes.filter((o) => o === 'deferred').length).toBeGreaterThanOrEqual(INJECTED_429);
}, 300_000);
