import { randomUUID } from 'node:crypto';
import { TaskProducer, createProducerRedis } from '@conveyor/queue';
import { SubmissionWrites } from '../src/submission-writes';
import { type Harness, startHarness } from './helpers';

let h: Harness;
beforeAll(async () => (h = await startHarness()));
afterAll(() => h.close());

const task = (extra: { idempotency_key?: string; payload?: unknown } = {}) => ({
  id: randomUUID(),
  tenant_id: h.tenantA,
  task: 'ping',
  queue: 'monitoring',
  payload: extra.payload ?? {},
  max_attempts: 3,
  idempotency_key: extra.idempotency_key ?? null,
});

describe('SubmissionWrites', () => {
  it('commits the tasks of many concurrent requests, each answered with its own rows', async () => {
    const writes = new SubmissionWrites(h.db, h.producer);
    const requests = Array.from({ length: 60 }, (_, i) => [task(), ...(i % 3 === 0 ? [task(), task()] : [])]);
    const answers = await Promise.all(requests.map((tasks) => writes.insert(tasks)));
    answers.forEach((submitted, i) => {
      expect(submitted.map((s) => s.row.id)).toEqual(requests[i]!.map((t) => t.id));
      expect(submitted.every((s) => s.created && s.row.status === 'PENDING')).toBe(true);
    });
    const ids = requests.flat().map((t) => t.id);
    const { n } = await h.db
      .selectFrom('tasks')
      .select((eb) => eb.fn.countAll<string>().as('n'))
      .where('id', 'in', ids)
      .executeTakeFirstOrThrow();
    expect(Number(n)).toBe(ids.length);
  });

  it('makes one task of concurrent submissions with one idempotency key', async () => {
    const writes = new SubmissionWrites(h.db, h.producer);
    const key = `same-${randomUUID()}`;
    const answers = await Promise.all(Array.from({ length: 40 }, () => writes.insert([task({ idempotency_key: key })])));
    const rows = new Set(answers.map(([s]) => s!.row.id));
    expect(rows.size).toBe(1);
    expect(answers.filter(([s]) => s!.created).length).toBe(1);
  });

  it('fails only the bad row of a group, not its neighbours', async () => {
    const writes = new SubmissionWrites(h.db, h.producer);
    // Postgres refuses a NUL character inside jsonb text.
    const results = await Promise.allSettled([
      writes.insert([task()]),
      writes.insert([task({ payload: { text: 'nul \u0000 here' } })]),
      writes.insert([task()]),
    ]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
  });

  it('commits a batch whole or not at all: one bad row leaves none of its neighbours behind', async () => {
    const writes = new SubmissionWrites(h.db, h.producer);
    const batch = [task(), task(), task({ payload: { text: 'nul \u0000 here' } }), task()];
    await expect(writes.insert(batch)).rejects.toThrow();
    const found = await h.db
      .selectFrom('tasks')
      .select('id')
      .where(
        'id',
        'in',
        batch.map((t) => t.id),
      )
      .execute();
    expect(found).toEqual([]);
    const good = [task(), task()];
    expect((await writes.insert(good)).map((s) => s.row.id)).toEqual(good.map((t) => t.id));
  });

  it('rejects every enqueue of a group with a clear unavailability error when Redis is down', async () => {
    const dead = createProducerRedis('redis://127.0.0.1:1');
    dead.on('error', () => undefined);
    const writes = new SubmissionWrites(h.db, new TaskProducer(dead, h.prefix));
    const results = await Promise.allSettled(Array.from({ length: 5 }, () => writes.enqueue([{ id: randomUUID(), task: 'ping', queue: 'monitoring' }])));
    expect(results.every((r) => r.status === 'rejected' && (r.reason as Error).name === 'QueueUnavailableError')).toBe(true);
    dead.disconnect();
  });
});
