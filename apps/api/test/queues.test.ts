import { QUEUE_NAMES, TASK_STATUSES } from '@conveyor/contracts';
import { type TaskErrorValue, claimTask, completeTask, failTask } from '@conveyor/db';
import { WorkerRegistration } from '@conveyor/queue';
import { sql } from 'kysely';
import request from 'supertest';
import { type Harness, startHarness } from './helpers';

// GET /queues: counts by queue and status from Postgres, per tenant (every tenant for an admin
// key), the oldest waiting task's age and the finished tasks per bucket of the window.

let h: Harness;
beforeAll(async () => (h = await startHarness()));
afterAll(() => h.close());

const as = (key: string) => ({ Authorization: `Bearer ${key}` });
type Queue = {
  queue: string;
  counts: Record<string, number>;
  oldest_waiting_age_ms: number | null;
  series: { at: string; succeeded: number; failed: number }[];
};

async function queues(
  key: string,
  query = '',
): Promise<{ body: { queues: Queue[]; window: string; bucket_ms: number; dashboard_url: string }; byName: Map<string, Queue> }> {
  const res = await request(h.app).get(`/api/v1/queues${query}`).set(as(key));
  expect(res.status).toBe(200);
  return { body: res.body, byName: new Map((res.body.queues as Queue[]).map((q) => [q.queue, q])) };
}

async function submit(key: string, task: 'ping' | 'test_task' = 'ping'): Promise<string> {
  const payload = task === 'test_task' ? { message: 'hi' } : {};
  const res = await request(h.app).post('/api/v1/tasks').set(as(key)).send({ task, payload });
  expect(res.status).toBe(202);
  return res.body.task_id as string;
}
const succeed = async (id: string) => {
  const claim = (await claimTask(h.db, id))!;
  await completeTask(h.db, { ...claim, result: 'pong', retentionMs: 3_600_000 });
};
const fail = async (id: string) => {
  const claim = (await claimTask(h.db, id))!;
  await failTask(h.db, { ...claim, error: { type: 'Boom', message: 'broken' } as TaskErrorValue, retentionMs: 3_600_000 });
};
const sum = (series: Queue['series'], field: 'succeeded' | 'failed') => series.reduce((n, b) => n + b[field], 0);

describe('GET /queues', () => {
  beforeAll(async () => {
    // Tenant A: 2 waiting (one of them since 10 minutes), 1 running, 3 succeeded (one 2 hours ago), 1 failed.
    const [waitingOld] = [await submit(h.keyA), await submit(h.keyA)];
    await sql`update tasks set created_at = now() - interval '10 minutes' where id = ${waitingOld}`.execute(h.db);
    await claimTask(h.db, await submit(h.keyA));
    const done = [await submit(h.keyA), await submit(h.keyA), await submit(h.keyA)];
    for (const id of done) await succeed(id);
    await sql`update tasks set finished_at = now() - interval '2 hours' where id = ${done[0]!}`.execute(h.db);
    await fail(await submit(h.keyA));
    // Tenant B: 4 waiting, just submitted, and one succeeded.
    for (let i = 0; i < 4; i += 1) await submit(h.keyB);
    await succeed(await submit(h.keyB));
  });

  it("counts the tenant's tasks by queue and status, every status and every queue listed", async () => {
    const { body, byName } = await queues(h.keyA);
    expect(body.queues.map((q) => q.queue).sort()).toEqual([...QUEUE_NAMES].sort());
    const monitoring = byName.get('monitoring')!;
    expect(Object.keys(monitoring.counts).sort()).toEqual([...TASK_STATUSES].sort());
    expect(monitoring.counts).toEqual({ PENDING: 2, STARTED: 1, PROGRESS: 0, RETRY: 0, SUCCESS: 3, FAILURE: 1, REVOKED: 0 });
    expect(byName.get('analysis')).toMatchObject({ counts: { PENDING: 0, SUCCESS: 0 }, oldest_waiting_age_ms: null });
    expect(byName.get('analysis')!.series.every((b) => b.succeeded === 0 && b.failed === 0)).toBe(true);
    expect(body.dashboard_url).toBe('/admin/queues');
  });

  it("keeps tenants apart, and shows an admin key every tenant's", async () => {
    expect((await queues(h.keyB)).byName.get('monitoring')!.counts).toMatchObject({ PENDING: 4, STARTED: 0, SUCCESS: 1, FAILURE: 0 });
    expect((await queues(h.adminKey)).byName.get('monitoring')!.counts).toMatchObject({ PENDING: 6, STARTED: 1, SUCCESS: 4, FAILURE: 1 });
  });

  it('gives the age of the oldest waiting task, from its own clock', async () => {
    const a = (await queues(h.keyA)).byName.get('monitoring')!;
    expect(a.oldest_waiting_age_ms).toBeGreaterThanOrEqual(10 * 60_000);
    expect(a.oldest_waiting_age_ms).toBeLessThan(60 * 60_000);
    const b = (await queues(h.keyB)).byName.get('monitoring')!;
    expect(b.oldest_waiting_age_ms).toBeGreaterThanOrEqual(0);
    expect(b.oldest_waiting_age_ms).toBeLessThan(10 * 60_000);
  });

  it('series: the finished tasks per bucket over the window, aligned buckets, oldest first', async () => {
    const hour = await queues(h.keyA, '?window=1h');
    expect(hour.body).toMatchObject({ window: '1h', bucket_ms: 300_000 });
    const series = hour.byName.get('monitoring')!.series;
    // 12 five-minute buckets of the hour, plus the one now is in when the hour does not start on a bucket.
    expect(series.length).toBeGreaterThanOrEqual(12);
    expect(series.length).toBeLessThanOrEqual(13);
    for (const [i, b] of series.entries()) {
      expect(new Date(b.at).getTime() % 300_000).toBe(0);
      if (i > 0) expect(new Date(b.at).getTime() - new Date(series[i - 1]!.at).getTime()).toBe(300_000);
    }
    expect([sum(series, 'succeeded'), sum(series, 'failed')]).toEqual([2, 1]);
    // Six hours take in the task that finished two hours ago.
    const six = (await queues(h.keyA, '?window=6h')).byName.get('monitoring')!.series;
    expect([sum(six, 'succeeded'), sum(six, 'failed')]).toEqual([3, 1]);
    expect(new Date(six[1]!.at).getTime() - new Date(six[0]!.at).getTime()).toBe(1_800_000);
    const day = await queues(h.adminKey, '?window=24h');
    expect(day.body.bucket_ms).toBe(3_600_000);
    expect(sum(day.byName.get('monitoring')!.series, 'succeeded')).toBe(4);
  });

  it('refuses a window it does not offer and any other parameter', async () => {
    for (const query of ['?window=2h', '?window=', '?tenant_id=x', '?window=1h&window=6h']) {
      const res = await request(h.app).get(`/api/v1/queues${query}`).set(as(h.keyA));
      expect([query, res.status]).toEqual([query, 400]);
      expect(res.body.issues[0].path).toMatch(/^query\./);
    }
    expect((await request(h.app).get('/api/v1/queues')).status).toBe(401);
  });
});

describe('GET /workers', () => {
  it('is for admin keys; a tenant key gets 403', async () => {
    const res = await request(h.app).get('/api/v1/workers').set(as(h.keyA));
    expect(res.status).toBe(403);
    const admin = await request(h.app).get('/api/v1/workers').set(as(h.adminKey));
    expect(admin.status).toBe(200);
    expect(admin.body).toEqual({ workers: [] });
  });

  it("lists the registry's live workers, and /metrics counts them by queue (0 for a queue without any)", async () => {
    const registration = new WorkerRegistration({
      redis: h.redis,
      prefix: h.prefix,
      instance: 'api-test-worker',
      queue: 'monitoring',
      concurrency: 7,
      version: '9.9.9',
      active: () => 2,
      heartbeatMs: 60_000,
    });
    await registration.start();
    try {
      const res = await request(h.app).get('/api/v1/workers').set(as(h.adminKey));
      expect(res.body.workers).toEqual([
        {
          instance: 'api-test-worker',
          queue: 'monitoring',
          concurrency: 7,
          active: 2,
          heartbeat_at: expect.any(String),
          started_at: expect.any(String),
          version: '9.9.9',
        },
      ]);
      const metrics = (await request(h.app).get('/metrics')).text;
      expect(metrics).toMatch(/^conveyor_workers_live\{queue="monitoring",service="[^"]+"\} 1$/m);
      expect(metrics).toMatch(/^conveyor_workers_live\{queue="scraping",service="[^"]+"\} 0$/m);
    } finally {
      await registration.stop();
    }
    expect((await request(h.app).get('/api/v1/workers').set(as(h.adminKey))).body).toEqual({ workers: [] });
  });
});
