import { migrateUrl, schemaFingerprint } from '@conveyor/db';
import { AppStack, type RunningProcess, freePort, waitFor } from '@conveyor/testkit';

// The worker registry with real processes: a worker appears in GET /api/v1/workers once it
// runs, shows the jobs it runs, leaves at once on SIGTERM, and a worker killed with -9 leaves
// when its entry expires (three heartbeats of a short WORKER_HEARTBEAT_MS).

let stack: AppStack;
let api: number;
let adminKey: string;
let tenantKey: string;
beforeAll(async () => {
  stack = await AppStack.create({ template: { key: schemaFingerprint(), migrate: migrateUrl } });
  api = await freePort();
  await stack.start('api', api);
  adminKey = await stack.createAdminKey();
  tenantKey = (await stack.createTenant('registry')).api_key;
}, 180_000);
afterAll(() => stack.stop(), 60_000);

type Worker = { instance: string; queue: string; concurrency: number; active: number; heartbeat_at: string; started_at: string; version: string };

async function workers(): Promise<Worker[]> {
  const res = await fetch(`http://127.0.0.1:${api}/api/v1/workers`, { headers: { Authorization: `Bearer ${adminKey}` } });
  expect(res.status).toBe(200);
  return ((await res.json()) as { workers: Worker[] }).workers;
}

/** The instance id the stack gave a worker process (AppStack sets INSTANCE_ID; /healthz answers it). */
async function instanceOf(port: number): Promise<string> {
  return ((await (await fetch(`http://127.0.0.1:${port}/healthz`)).json()) as { instance: string }).instance;
}

async function startWorker(env: Record<string, string>): Promise<{ proc: RunningProcess; instance: string }> {
  const port = await freePort();
  const proc = await stack.start('worker-monitoring', port, env);
  return { proc, instance: await instanceOf(port) };
}

it('lists a running worker with its queue, concurrency, active jobs and version, and drops it at once on SIGTERM', async () => {
  // A heartbeat far longer than the test: only the graceful stop can take the entry away.
  const { proc, instance } = await startWorker({ WORKER_HEARTBEAT_MS: '600000', WORKER_CONCURRENCY: '3', BUILD_ID: 'build-42' });
  const listed = await waitFor(async () => (await workers()).find((w) => w.instance === instance), 'the worker in the registry');
  expect(listed).toMatchObject({ queue: 'monitoring', concurrency: 3, active: 0, version: 'build-42' });
  await proc.stop('SIGTERM');
  expect((await workers()).map((w) => w.instance)).not.toContain(instance);
}, 180_000);

it('shows the jobs a worker runs, and its package version without BUILD_ID', async () => {
  const { proc, instance } = await startWorker({ WORKER_HEARTBEAT_MS: '200' });
  try {
    const submitted = await fetch(`http://127.0.0.1:${api}/api/v1/tasks`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${tenantKey}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ task: 'test_task', payload: { message: 'slow', steps: 20, step_ms: 1000 } }),
    });
    expect(submitted.status).toBe(202);
    const busy = await waitFor(
      async () => (await workers()).find((w) => w.instance === instance && w.active === 1),
      'the worker to report 1 active job',
      60_000,
    );
    expect(busy.version).toMatch(/^\d+\.\d+\.\d+/);
  } finally {
    await proc.stop('SIGKILL');
  }
}, 180_000);

it('drops a worker killed with -9 once its entry expires, and never lists it again', async () => {
  const { proc, instance } = await startWorker({ WORKER_HEARTBEAT_MS: '300' });
  await waitFor(async () => (await workers()).find((w) => w.instance === instance), 'the worker in the registry');
  await proc.stop('SIGKILL');
  // Three heartbeats of 300 ms; the bound only stops a hang.
  await waitFor(async () => ((await workers()).some((w) => w.instance === instance) ? undefined : true), 'the killed worker to leave the registry', 30_000);
  expect((await workers()).map((w) => w.instance)).not.toContain(instance);
}, 180_000);
