import { type Kysely, sql } from 'kysely';
import { type Database, decodeCursor, deleteIngestionRunsOlderThan, finishIngestionRun, listIngestionRuns, startIngestionRun, upsertRecords } from '../src';
import { openTestDb } from './helpers';

let db: Kysely<Database>;
let close: () => Promise<void>;
beforeAll(async () => ({ db, close } = await openTestDb()));
afterAll(() => close());

const TOTALS = { pages: 2, fetched: 3, inserted: 2, updated: 1, unchanged: 0, retries: 1, rateLimitWaits: 0 };
const observation = (date: string, value: number) => ({
  external_id: `GDP:${date}`,
  raw: { date, value: String(value), realtime_start: '2026-12-01' },
  occurred_on: date,
  series_id: 'GDP',
  value,
});

describe('ingestion records', () => {
  it('inserts new records, rewrites changed ones, leaves unchanged ones alone: a re-run duplicates nothing', async () => {
    const page = [observation('2026-01-01', 1.5), observation('2026-04-01', 1.7)];
    expect(await upsertRecords(db, 'fred', page)).toEqual({ inserted: 2, updated: 0, unchanged: 0 });
    const before = await db.selectFrom('ingestion_records').selectAll().where('source', '=', 'fred').orderBy('external_id').execute();
    expect(await upsertRecords(db, 'fred', page)).toEqual({ inserted: 0, updated: 0, unchanged: 2 });
    const after = await db.selectFrom('ingestion_records').selectAll().where('source', '=', 'fred').orderBy('external_id').execute();
    expect(after).toEqual(before); // not rewritten: updated_at untouched
    expect(await upsertRecords(db, 'fred', [observation('2026-04-01', 1.9), observation('2026-07-01', 2.0)])).toEqual({
      inserted: 1,
      updated: 1,
      unchanged: 0,
    });
    const revised = await db.selectFrom('ingestion_records').selectAll().where('external_id', '=', 'GDP:2026-04-01').executeTakeFirstOrThrow();
    expect(revised).toMatchObject({ value: 1.9, series_id: 'GDP', occurred_on: expect.anything() });
    expect(await db.selectFrom('ingestion_records').select('external_id').where('source', '=', 'fred').execute()).toHaveLength(3);
  });

  it('neither locks nor writes a row whose content is unchanged (its xmax and xmin stay as they were)', async () => {
    const page = [observation('2025-01-01', 3.5), observation('2025-04-01', 3.6)];
    await upsertRecords(db, 'fred', page);
    const versions = () =>
      sql<{
        v: string;
      }>`select xmin::text || ':' || xmax::text as v from ingestion_records where external_id in ('GDP:2025-01-01', 'GDP:2025-04-01') order by external_id`
        .execute(db)
        .then((r) => r.rows.map((row) => row.v));
    const before = await versions();
    expect(await upsertRecords(db, 'fred', page)).toEqual({ inserted: 0, updated: 0, unchanged: 2 });
    // A DO UPDATE that its WHERE skips would still lock the row: xmax would become this transaction's.
    expect(await versions()).toEqual(before);
  });

  it('hashes content, not key order, and keeps one version of an id named twice in a page', async () => {
    await upsertRecords(db, 'worldbank', [{ external_id: 'NY.GDP:FR:2025', raw: { a: 1, b: 2 } }]);
    expect(await upsertRecords(db, 'worldbank', [{ external_id: 'NY.GDP:FR:2025', raw: { b: 2, a: 1 } }])).toEqual({ inserted: 0, updated: 0, unchanged: 1 });
    expect(
      await upsertRecords(db, 'worldbank', [
        { external_id: 'NY.GDP:DE:2025', raw: { v: 1 } },
        { external_id: 'NY.GDP:DE:2025', raw: { v: 2 } },
      ]),
    ).toEqual({ inserted: 1, updated: 0, unchanged: 0 });
    expect((await db.selectFrom('ingestion_records').select('raw').where('external_id', '=', 'NY.GDP:DE:2025').executeTakeFirstOrThrow()).raw).toEqual({
      v: 2,
    });
  });

  it('keeps sources apart: the same external id in two sources is two records', async () => {
    await upsertRecords(db, 'reliefweb', [{ external_id: 'shared-1', raw: {} }]);
    expect(await upsertRecords(db, 'gdelt', [{ external_id: 'shared-1', raw: {} }])).toEqual({ inserted: 1, updated: 0, unchanged: 0 });
  });

  it('refuses a source name outside the rule', async () => {
    await expect(upsertRecords(db, 'Bad Source', [{ external_id: 'x', raw: {} }])).rejects.toMatchObject({ code: '23514' });
  });
});

describe('the ingestion audit trail', () => {
  it('opens a run, closes it once with its outcome and counts, and lists runs newest first by source and status', async () => {
    const run = await startIngestionRun(db, { source: 'gdelt', windowFrom: '2026-12-05T00:00:00Z', windowTo: '2026-12-05T00:15:00Z' });
    expect(run).toMatchObject({ status: 'running', finished_at: null, pages: 0 });
    const done = await finishIngestionRun(db, run.id, { status: 'succeeded', totals: TOTALS });
    expect(done).toMatchObject({ status: 'succeeded', pages: 2, fetched: 3, inserted: 2, updated: 1, retries: 1, finished_at: expect.any(Date) });
    expect(await finishIngestionRun(db, run.id, { status: 'failed', totals: TOTALS, error: { type: 'X', message: 'late' } })).toBeUndefined();

    const failed = await startIngestionRun(db, { source: 'gdelt', cursor: 'offset=200' });
    await finishIngestionRun(db, failed.id, {
      status: 'failed',
      totals: { ...TOTALS, pages: 1 },
      error: { type: 'MalformedPage', message: 'page 2 is not JSON' },
    });
    await startIngestionRun(db, { source: 'fred' });

    const gdelt = await listIngestionRuns(db, { source: 'gdelt', limit: 10 });
    expect(gdelt.rows.map((r) => r.id)).toEqual([failed.id, run.id]);
    expect((await listIngestionRuns(db, { status: ['failed'], limit: 10 })).rows).toEqual([
      expect.objectContaining({ id: failed.id, error: { type: 'MalformedPage', message: 'page 2 is not JSON' } }),
    ]);
    const first = await listIngestionRuns(db, { limit: 1 });
    const second = await listIngestionRuns(db, { limit: 1, after: decodeCursor(first.next!) });
    expect(second.rows[0]!.id).not.toBe(first.rows[0]!.id);
  });

  it('forgets finished runs past the retention, never a running one', async () => {
    const old = await startIngestionRun(db, { source: 'comtrade' });
    await finishIngestionRun(db, old.id, { status: 'succeeded', totals: TOTALS });
    const stuck = await startIngestionRun(db, { source: 'comtrade' });
    await sql`update ingestion_runs set started_at = now() - interval '100 days' where id in (${old.id}, ${stuck.id})`.execute(db);
    expect(await deleteIngestionRunsOlderThan(db, 90)).toBe(1);
    expect((await listIngestionRuns(db, { source: 'comtrade', limit: 10 })).rows.map((r) => r.id)).toEqual([stuck.id]);
  });
});
