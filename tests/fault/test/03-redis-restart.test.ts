import { type AppStack, type PrivateRedis, type RunningProcess, freePort, startPrivateRedis } from '@conveyor/testkit';
import { Client, FAST_STALLS, TERMINAL, createStack } from './support';

// Fault 3: Redis dies (SIGKILL, no shutdown work) and restarts from its append-only file
// (fsync always). Every task accepted (202) before, during and after reaches a terminal
// state; while Redis is down the API says 503, never 500.

let redis: PrivateRedis;
let stack: AppStack;
let client: Client;
let scheduler: RunningProcess;
beforeAll(async () => {
  redis = await startPrivateRedis();
  stack = await createStack({ redisUrl: redis.url, env: { ...FAST_STALLS, RECONCILE_INTERVAL_MS: '1000', RECONCILE_GRACE_MS: '2000' } });
  const apiPort = await freePort();
  await stack.start('api', apiPort);
  await stack.start('worker-monitoring', await freePort());
  scheduler = await stack.start('scheduler', await freePort());
  client = new Client(`http://127.0.0.1:${apiPort}`, (await stack.createTenant('restart')).api_key);
}, 300_000);
afterAll(async () => {
  await stack.stop();
  await redis.destroy();
}, 30_000);

it('every task accepted before, during and after Redis is killed and restarted finishes', async () => {
  const accepted: string[] = [];
  const statuses = new Map<number, number>();
  // Each phase ends on what happened, not after a fixed time, so a slow machine only makes
  // it longer: tasks accepted before the crash, a 503 while Redis is down, tasks accepted after.
  const submit = async (): Promise<number> => {
    const res = await client
      .submit('test_task', { message: 'through a restart', steps: 2, step_ms: 100 })
      .catch(() => ({ status: 0, body: {} as Record<string, string> }));
    statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
    if (res.status === 202) accepted.push(res.body.task_id);
    await new Promise((r) => setTimeout(r, 40));
    return res.status;
  };
  while (accepted.length < 10) await submit();
  // Jobs that sit in Redis across the restart (delayed past it): only the append-only file
  // keeps them; were they lost, the reconciler would have to put them back.
  for (let i = 0; i < 5; i += 1) {
    const res = await client.submit('test_task', { message: 'waits out the restart', steps: 1, step_ms: 10 }, { delay_ms: 3000 });
    expect(res.status).toBe(202);
    accepted.push(res.body.task_id);
  }
  await redis.crash();
  for (let tries = 1; (await submit()) !== 503; tries += 1) {
    if (tries >= 500) throw new Error(`no 503 in 500 submissions while Redis was down: ${JSON.stringify([...statuses])}`);
  }
  await redis.start();
  const beforeRestart = accepted.length;
  while (accepted.length < beforeRestart + 10) await submit();

  expect([...statuses.keys()].sort()).toEqual([202, 503]);
  for (const id of accepted) expect((await client.waitForStatus(id, TERMINAL, 60_000)).status).toBe('SUCCESS');
  // The append-only file kept every accepted job: the reconciler (running all along) never
  // had to put back a queued task whose job was missing.
  expect(scheduler.output()).not.toContain('re-enqueued a queued task whose job was missing');
}, 120_000);
