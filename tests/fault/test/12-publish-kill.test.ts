import { XSimulator } from '@conveyor/sim';
import { type AppStack, type RunningProcess, freePort, waitFor } from '@conveyor/testkit';
import { Client, FAST_STALLS, createStack } from './support';

// Fault 12: X accepts a post, and the publishing worker is killed with SIGKILL before it hears
// the answer, let alone records it. The task comes back on another worker, which asks X
// before posting again: X holds the post exactly once, and Conveyor records it once, with X's id.

const ACME = { token: 'tok-acme-kill', id: '1700000000000000002', username: 'acme_kill', tier: 'pro' as const };

let stack: AppStack;
let client: Client;
let x: XSimulator;
let xBase: string;
const workers: RunningProcess[] = [];

const simPosts = async () => ((await (await fetch(`${xBase}/_sim/posts`)).json()) as { posts: { id: string; text: string }[] }).posts;

beforeAll(async () => {
  x = new XSimulator({ accounts: [ACME] });
  xBase = await x.listen();
  stack = await createStack({ env: { ...FAST_STALLS, X_API_BASE_URL: xBase, X_DRY_RUN: 'false', X_TOKEN_ACME: ACME.token } });
  const apiPort = await freePort();
  await stack.start('api', apiPort);
  for (let i = 0; i < 2; i += 1) workers.push(await stack.start('worker-publishing', await freePort()));
  client = new Client(`http://127.0.0.1:${apiPort}`, (await stack.createTenant('kill9x')).api_key);
}, 300_000);
afterAll(async () => {
  await stack?.stop();
  await x?.close();
}, 30_000);

it('a worker killed after X accepted its post: X holds it once, Conveyor records it once with its real id', async () => {
  const account = await client.call('POST', '/x-accounts', { handle: ACME.username, api_tier: 'pro', token_secret_ref: 'env:X_TOKEN_ACME' });
  const post = await client.call('POST', '/posts', { account_id: account.body.account_id, text: 'Accepted, then the worker died' });
  const id = post.body.post_id as string;
  // X carries the post out, then holds the answer back: the window in which the worker dies.
  await fetch(`${xBase}/_sim/faults`, {
    method: 'POST',
    body: JSON.stringify({ endpoint: 'POST /2/tweets', stallAfterAcceptMs: 120_000, drop: 'after-accept', times: 1 }),
  });
  const publish = await client.call('POST', `/posts/${id}/publish`);
  expect(publish.status).toBe(202);
  const taskId = publish.body.task_id as string;

  await waitFor(async () => ((await simPosts()).length === 1 ? true : undefined), 'X to accept the post', 60_000);
  const victim = workers.find((w) => w.output().includes(taskId))!;
  expect(victim).toBeDefined();
  victim.child.kill('SIGKILL');
  expect(await victim.exited).toBe('SIGKILL');

  const done = await waitFor(
    async () => {
      const { body } = await client.call('GET', `/posts/${id}`);
      return body.status === 'published' || body.status === 'failed' ? body : undefined;
    },
    'the post to be recorded',
    90_000,
    100,
  );
  const onX = await simPosts();
  expect(onX).toHaveLength(1);
  expect(done).toMatchObject({ status: 'published', x_post_id: onX[0]!.id });
  // The survivor found the post on X rather than sending it again. It says so just after it
  // marks the post published (which the poll above saw): its line may still be on its way.
  const survivor = workers.find((w) => w !== victim)!;
  const said = (line: string) => survivor.output().includes(line);
  await waitFor(
    async () => (said('post found on X after an earlier call') || said('post published to X') ? true : undefined),
    "the survivor's line on the post",
    60_000,
  );
  expect(survivor.output()).toContain('post found on X after an earlier call; recorded, not sent again');
  const creates = ((await (await fetch(`${xBase}/_sim/requests`)).json()) as { requests: { endpoint?: string }[] }).requests.filter(
    (r) => r.endpoint === 'POST /2/tweets',
  );
  expect(creates).toHaveLength(1);
}, 180_000);
