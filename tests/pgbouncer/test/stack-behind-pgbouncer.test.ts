import { migrateUrl, schemaFingerprint } from '@conveyor/db';
import { AppStack, freePort, waitFor } from '@conveyor/testkit';
import { Client } from 'pg';

// What makes the reused end-to-end and fault tests of this package worth running again: the
// apps of every AppStack here talk to Postgres through the stack's own PgBouncer, in
// transaction mode. Read from PgBouncer's admin console, which lists its clients.

let stack: AppStack;
beforeAll(async () => {
  stack = await AppStack.create({ template: { key: schemaFingerprint(), migrate: migrateUrl } });
}, 120_000);
afterAll(() => stack.stop(), 30_000);

it('the apps connect through the PgBouncer, which pools in transaction mode, and a task runs', async () => {
  expect(stack.pgbouncer).toBeDefined();
  expect(stack.env).toMatchObject({ DATABASE_URL: stack.pgbouncer!.urlFor(stack.database.url), DATABASE_POOLER: 'transaction' });
  const apiPort = await freePort();
  await Promise.all([stack.start('api', apiPort), stack.start('worker-monitoring', await freePort())]);
  const { api_key } = await stack.createTenant('pooled');
  const headers = { Authorization: `Bearer ${api_key}`, 'Content-Type': 'application/json' };
  const submitted = await fetch(`http://127.0.0.1:${apiPort}/api/v1/tasks`, { method: 'POST', headers, body: JSON.stringify({ task: 'ping' }) });
  expect(submitted.status).toBe(202);
  const { task_id } = (await submitted.json()) as { task_id: string };
  await waitFor(async () => {
    const res = await fetch(`http://127.0.0.1:${apiPort}/api/v1/tasks/${task_id}`, { headers });
    return ((await res.json()) as { status: string }).status === 'SUCCESS' ? true : undefined;
  }, 'the ping to succeed');

  const console_ = new Client({ connectionString: stack.pgbouncer!.urlFor(new URL('/pgbouncer', stack.database.url).toString()) });
  await console_.connect();
  try {
    const clients = (await console_.query('show clients')).rows as { database: string; application_name: string }[];
    const apps = new Set(clients.filter((c) => c.database === stack.database.name).map((c) => c.application_name));
    expect(apps).toEqual(new Set(['api', 'worker-monitoring']));
    const config = (await console_.query('show config')).rows as { key: string; value: string }[];
    expect(config.find((c) => c.key === 'pool_mode')?.value).toBe('transaction');
  } finally {
    await console_.end();
  }
}, 180_000);
