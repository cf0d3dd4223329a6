import { type AppStack, type PrivateServer, type RunningProcess, freePort, startPrivatePostgres } from '@conveyor/testkit';
import { Client, FAST_STALLS, createStack } from './support';

// Fault 5: Postgres goes away for a few seconds. The API answers 503 (never 500) while it is
// down; workers retry their state writes; after recovery nothing is lost or stuck.

let postgres: PrivateServer;
let stack: AppStack;
let client: Client;
let apiBase: string;
let worker: RunningProcess;
beforeAll(async () => {
  postgres = await startPrivatePostgres();
  const limits = JSON.stringify({ test_task: { backoff: { baseMs: 200, maxMs: 500 } } });
  stack = await createStack({
    adminDatabaseUrl: postgres.url,
    env: { ...FAST_STALLS, RECONCILE_INTERVAL_MS: '1000', RECONCILE_GRACE_MS: '2000', DATABASE_QUERY_TIMEOUT_MS: '5000', TASK_OVERRIDES: limits },
  });
  const apiPort = await freePort();
  apiBase = `http://127.0.0.1:${apiPort}`;
  await stack.start('api', apiPort);
  // One worker: nothing else would pick up its tasks if it died. (Postgres ending a connection
  // that was checked out between queries used to kill it: an unhandled pg 'error' event.)
  worker = await stack.start('worker-monitoring', await freePort());
  await stack.start('scheduler', await freePort());
  client = new Client(apiBase, (await stack.createTenant('pgdown')).api_key);
}, 300_000);
afterAll(async () => {
  await stack.stop();
  await postgres.destroy();
}, 30_000);

it('answers 503 while Postgres is down and loses nothing', async () => {
  // One batch, so that all ten run at once (the worker's concurrency is 10): submitted one by
  // one on a busy machine, the first could finish before the last was in. 8 s each, so that
  // they are still running, writing progress, when Postgres goes away.
  const tasks = Array.from({ length: 10 }, (_, i) => ({ task: 'test_task', payload: { message: `m${i}`, steps: 20, step_ms: 400 } }));
  const batch = await client.call('POST', '/tasks/batch', { tasks });
  expect(batch.status).toBe(202);
  const ids: string[] = batch.body.tasks.map((t: { task_id: string }) => t.task_id);
  await client.waitForStatus(ids[0]!, ['PROGRESS']);

  await postgres.stop();
  const seen = new Set<number>();
  const outageEnds = Date.now() + 4000;
  while (Date.now() < outageEnds) {
    for (const res of await Promise.all([
      client.submit('ping'),
      client.call('GET', `/tasks/${ids[0]}`),
      fetch(`${apiBase}/readyz`).then((r) => ({ status: r.status })),
    ])) {
      seen.add(res.status);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  await postgres.start();
  expect([...seen]).toEqual([503]);

  for (const id of ids) {
    const view = await client.waitForStatus(id, ['SUCCESS', 'FAILURE'], 60_000).catch(async (error: Error) => {
      // Say where it got stuck: its row and every log line about it.
      const lines = stack.processes.flatMap((p) =>
        p
          .output()
          .split('\n')
          .filter((l) => l.includes(id)),
      );
      const workerTail = stack.processes
        .map((p) =>
          p
            .output()
            .split('\n')
            .filter((l) => l.includes('worker-monitoring'))
            .slice(-12)
            .join('\n'),
        )
        .join('\n');
      lines.push('--- worker tail ---', workerTail);
      throw new Error(`${error.message}\ntask: ${JSON.stringify(await client.task(id))}\n${lines.join('\n')}`);
    });
    expect(view.status).toBe('SUCCESS');
  }
  // The tasks running through the outage kept their attempt: the worker retried its state
  // writes until Postgres came back, rather than giving the task up to the reconciler.
  expect(worker.output()).toContain('postgres unavailable: retrying the state write');
  expect(worker.output()).toContain('postgres is back');
  const running = await client.task(ids[0]!);
  expect(running.attempt_history.map((a: { outcome: string }) => a.outcome)).toEqual(['success']);
  // The same worker process did it all: it never crashed across the outage.
  expect(worker.child.exitCode).toBeNull();
  expect(worker.output()).not.toMatch(/fatal error|Unhandled 'error' event/);
  const after = await client.submit('ping');
  expect(after.status).toBe(202);
  expect((await client.waitForStatus(after.body.task_id, ['SUCCESS'])).status).toBe('SUCCESS');
}, 120_000);
