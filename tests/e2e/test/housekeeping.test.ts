import { randomUUID } from 'node:crypto';
import { migrateUrl, schemaFingerprint } from '@conveyor/db';
import { AppStack, freePort, waitFor } from '@conveyor/testkit';
import { type Conveyor, NotFoundError } from '@conveyor/client';
import { Client } from 'pg';
import { clientOf } from './support';

// The scheduler's housekeeping, run by real processes: two scheduler replicas, one API, one
// worker. Retention deletes a finished task once its task type's retention has passed; the
// reconciler enqueues tasks that were committed but never reached Redis, each run once.

let stack: AppStack;
let conveyor: Conveyor;
let pg: Client;
beforeAll(async () => {
  stack = await AppStack.create({
    template: { key: schemaFingerprint(), migrate: migrateUrl },
    env: {
      TASK_OVERRIDES: JSON.stringify({ ping: { retentionMs: 1500 } }),
      RETENTION_INTERVAL_MS: '500',
      RECONCILE_INTERVAL_MS: '500',
      RECONCILE_GRACE_MS: '1000',
    },
  });
  const apiPort = await freePort();
  await stack.start('api', apiPort);
  await stack.start('worker-monitoring', await freePort());
  for (let i = 0; i < 2; i += 1) await stack.start('scheduler', await freePort());
  conveyor = clientOf(apiPort, (await stack.createTenant('housekeeping')).api_key);
  pg = new Client({ connectionString: stack.database.url });
  await pg.connect();
}, 300_000);
afterAll(async () => {
  await pg.end();
  await stack.stop();
}, 30_000);

it("deletes a finished task once its task type's retention has passed", async () => {
  const { id } = await conveyor.tasks.submit('ping', {});
  expect(await conveyor.tasks.wait(id, { timeoutMs: 20_000 })).toMatchObject({ status: 'SUCCESS' });
  const { rows } = await pg.query('select extract(epoch from expires_at - finished_at) * 1000 as retention_ms from tasks where id = $1', [id]);
  expect(Number(rows[0].retention_ms)).toBeCloseTo(1500, -1);
  // Any other answer (the task still there, or another error) is waited past; waitFor reports the last error.
  const deleted = (error: unknown) => (error instanceof NotFoundError && error.code === 'task_not_found' ? true : Promise.reject(error));
  await waitFor(() => conveyor.tasks.get(id).then(() => undefined, deleted), 'the scheduler to delete the expired task', 15_000);
}, 30_000);

it('enqueues tasks committed without a job, each run exactly once with two reconcilers', async () => {
  const tenant = (await pg.query("select id from tenants where name = 'housekeeping'")).rows[0].id as string;
  const ids = Array.from({ length: 20 }, () => randomUUID());
  // As if the API had committed them and then lost Redis before its enqueue.
  for (const id of ids) {
    await pg.query(
      "insert into tasks (id, tenant_id, task, queue, payload, max_attempts, created_at, updated_at) values ($1, $2, 'test_task', 'monitoring', $3, 3, now() - interval '5 seconds', now() - interval '5 seconds')",
      [id, tenant, JSON.stringify({ message: 'orphan', steps: 1, step_ms: 10 })],
    );
  }
  await waitFor(
    async () => {
      const { rows } = await pg.query("select count(*)::int as n from tasks where id = any($1) and status = 'SUCCESS'", [ids]);
      return rows[0].n === ids.length ? true : undefined;
    },
    'the reconciler to enqueue every orphan and the worker to run it',
    20_000,
  );
  const { rows } = await pg.query('select attempt, attempt_history from tasks where id = any($1)', [ids]);
  for (const row of rows) {
    expect(row.attempt).toBe(1);
    expect(row.attempt_history.map((a: { outcome: string }) => a.outcome)).toEqual(['success']);
  }
}, 40_000);
