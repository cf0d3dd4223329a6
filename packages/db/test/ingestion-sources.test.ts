import { DEFAULT_INGESTION_CADENCE, INGESTION_SOURCES, SYSTEM_TENANT_ID } from '@conveyor/contracts';
import { nextOccurrence } from '@conveyor/scheduling';
import { type Kysely, sql } from 'kysely';
import {
  type Database,
  advanceIngestionWatermark,
  databaseNow,
  ensureDefaultIngestionSources,
  ensureIngestionSources,
  findIngestionSourceSchedule,
  finishIngestionRun,
  getIngestionWatermark,
  listIngestionSourceStates,
  startIngestionRun,
  updateIngestionSourceSchedule,
  upsertRecords,
} from '../src';
import { openTestDb } from './helpers';

let db: Kysely<Database>;
let close: () => Promise<void>;
beforeAll(async () => ({ db, close } = await openTestDb()));
afterAll(() => close());

const TOTALS = { pages: 1, fetched: 1, inserted: 1, updated: 0, unchanged: 0, retries: 0, rateLimitWaits: 0 };
const systemSchedules = () => db.selectFrom('schedules').selectAll().where('tenant_id', '=', SYSTEM_TENANT_ID).orderBy('name').execute();

describe('setting the sources up', () => {
  it('makes each source a disabled or enabled system schedule of ingest_source, once, however many processes ask at once', async () => {
    await Promise.all(Array.from({ length: 6 }, () => ensureDefaultIngestionSources(db, false)));
    const schedules = await systemSchedules();
    expect(schedules.map((s) => s.name)).toEqual(INGESTION_SOURCES.map((s) => `ingestion:${s}`).sort());
    const now = await databaseNow(db);
    for (const s of schedules) {
      const source = s.name.slice('ingestion:'.length) as keyof typeof DEFAULT_INGESTION_CADENCE;
      expect(s).toMatchObject({ kind: 'cron', cron: DEFAULT_INGESTION_CADENCE[source], timezone: 'UTC', task: 'ingest_source', payload: { source } });
      expect(s).toMatchObject({ enabled: false, misfire_policy: 'fire_once' });
      // Due at the cadence's next time in UTC after now.
      expect(s.next_run_at!.getTime()).toBeGreaterThan(now.getTime() - 60_000);
      expect(nextOccurrence({ kind: 'cron', cron: s.cron!, timezone: 'UTC' }, new Date(s.next_run_at!.getTime() - 1))).toEqual(s.next_run_at);
    }
    const rows = await db.selectFrom('ingestion_sources').selectAll().orderBy('source').execute();
    expect(rows.map((r) => [r.source, r.schedule_id])).toEqual(
      [...INGESTION_SOURCES].sort().map((source) => [source, schedules.find((s) => s.name === `ingestion:${source}`)!.id]),
    );
    expect(rows.every((r) => r.watermark === null)).toBe(true);
  });

  it('never changes a source already set up: the operator owns it', async () => {
    expect(await updateIngestionSourceSchedule(db, 'fred', { enabled: true, cron: '30 5 * * *' })).toBe(true);
    await ensureIngestionSources(db, [{ source: 'fred', cron: '* * * * *', nextRunAt: new Date('2030-01-01T00:00:00Z') }], false);
    await ensureDefaultIngestionSources(db, true);
    const fred = (await systemSchedules()).find((s) => s.name === 'ingestion:fred')!;
    expect(fred).toMatchObject({ enabled: true, cron: '30 5 * * *' });
    expect((await systemSchedules()).filter((s) => s.enabled).map((s) => s.name)).toEqual(['ingestion:fred']);
  });

  it('gives a source whose schedule was deleted by hand a new one, and takes up a schedule left without its source', async () => {
    await db.deleteFrom('schedules').where('name', '=', 'ingestion:gdelt').execute();
    expect((await db.selectFrom('ingestion_sources').select('schedule_id').where('source', '=', 'gdelt').executeTakeFirstOrThrow()).schedule_id).toBeNull();
    expect((await listIngestionSourceStates(db)).find((s) => s.source === 'gdelt')).toMatchObject({ enabled: false, cadence: null, next_run_at: null });
    await ensureDefaultIngestionSources(db, true);
    const gdelt = (await systemSchedules()).find((s) => s.name === 'ingestion:gdelt')!;
    expect(gdelt).toMatchObject({ enabled: true, cron: DEFAULT_INGESTION_CADENCE.gdelt });
    expect((await db.selectFrom('ingestion_sources').select('schedule_id').where('source', '=', 'gdelt').executeTakeFirstOrThrow()).schedule_id).toBe(gdelt.id);

    await db.deleteFrom('ingestion_sources').where('source', '=', 'comtrade').execute();
    const before = (await systemSchedules()).find((s) => s.name === 'ingestion:comtrade')!;
    await ensureDefaultIngestionSources(db, true);
    expect((await db.selectFrom('ingestion_sources').select('schedule_id').where('source', '=', 'comtrade').executeTakeFirstOrThrow()).schedule_id).toBe(
      before.id,
    );
    expect(await systemSchedules()).toHaveLength(INGESTION_SOURCES.length);
  });

  it('changes only what it is given, and says when there is no such source', async () => {
    const next = new Date('2031-02-03T04:05:00Z');
    expect(await updateIngestionSourceSchedule(db, 'worldbank', { nextRunAt: next })).toBe(true);
    expect((await systemSchedules()).find((s) => s.name === 'ingestion:worldbank')).toMatchObject({
      next_run_at: next,
      cron: DEFAULT_INGESTION_CADENCE.worldbank,
      enabled: false,
    });
    expect(await updateIngestionSourceSchedule(db, 'nosuch', { enabled: true })).toBe(false);
    expect(await findIngestionSourceSchedule(db, 'worldbank')).toMatchObject({ name: 'ingestion:worldbank', next_run_at: next });
    expect(await findIngestionSourceSchedule(db, 'nosuch')).toBeUndefined();
  });
});

describe('the watermark', () => {
  it('starts empty and only ever moves forward', async () => {
    expect(await getIngestionWatermark(db, 'reliefweb')).toBeNull();
    const first = new Date('2026-12-01T00:00:00.123Z');
    expect(await advanceIngestionWatermark(db, 'reliefweb', first)).toEqual(first);
    expect(await advanceIngestionWatermark(db, 'reliefweb', new Date('2026-11-01T00:00:00Z'))).toEqual(first);
    expect(await getIngestionWatermark(db, 'reliefweb')).toEqual(first);
    const later = new Date('2026-12-02T00:00:00Z');
    await advanceIngestionWatermark(db, 'reliefweb', later);
    expect(await getIngestionWatermark(db, 'reliefweb')).toEqual(later);
    expect(await getIngestionWatermark(db, 'fred')).toBeNull(); // each source has its own
  });

  it('is nothing for a source not set up', async () => {
    expect(await advanceIngestionWatermark(db, 'nosuch', new Date())).toBeUndefined();
    expect(await getIngestionWatermark(db, 'nosuch')).toBeNull();
  });
});

describe("the sources' states", () => {
  const run = async (source: string, status: 'succeeded' | 'failed' | 'deferred', message?: string) => {
    const started = await startIngestionRun(db, { source });
    return (await finishIngestionRun(db, started.id, { status, totals: TOTALS, error: message ? { type: 'Boom', message } : null }))!;
  };

  it('shows schedule, watermark, last success, a failure only when it came after it, and how many records there are', async () => {
    const fredFailed = await run('fred', 'failed', 'old failure');
    const fredOk = await run('fred', 'succeeded');
    await run('fred', 'deferred');
    const worldFailed1 = await run('worldbank', 'failed', 'first');
    const worldFailed2 = await run('worldbank', 'failed', 'second');
    const reliefOk = await run('reliefweb', 'succeeded');
    const reliefFailed = await run('reliefweb', 'failed');
    await startIngestionRun(db, { source: 'gdelt' }); // running: neither success nor failure
    await upsertRecords(db, 'fred', [
      { external_id: 'a', raw: {} },
      { external_id: 'b', raw: {} },
    ]);
    await upsertRecords(db, 'gdelt', [{ external_id: 'a', raw: {} }]);

    const states = Object.fromEntries((await listIngestionSourceStates(db)).map((s) => [s.source, s]));
    expect(Object.keys(states)).toEqual([...INGESTION_SOURCES].sort());
    expect(states.fred).toEqual({
      source: 'fred',
      enabled: true,
      cadence: '30 5 * * *',
      next_run_at: expect.any(Date),
      watermark: null,
      last_success_at: fredOk.finished_at,
      last_error: null,
      record_count: 2,
    });
    expect(fredFailed.finished_at!.getTime()).toBeLessThanOrEqual(fredOk.finished_at!.getTime());
    expect(states.worldbank).toMatchObject({ last_success_at: null, last_error: { message: 'second', at: worldFailed2.finished_at }, record_count: 0 });
    expect(worldFailed1.id).not.toBe(worldFailed2.id);
    expect(states.reliefweb).toMatchObject({
      last_success_at: reliefOk.finished_at,
      last_error: { message: 'the run failed without a message', at: reliefFailed.finished_at },
      watermark: new Date('2026-12-02T00:00:00Z'),
    });
    expect(states.gdelt).toMatchObject({ last_success_at: null, last_error: null, record_count: 1, enabled: true, cadence: DEFAULT_INGESTION_CADENCE.gdelt });
    expect(states.gdelt!.next_run_at).toBeInstanceOf(Date);
    expect(await listIngestionSourceStates(db, 'worldbank')).toEqual([states.worldbank]);
    expect(await listIngestionSourceStates(db, 'nosuch')).toEqual([]);
  });
});

describe('the run outcome deferred', () => {
  it('is a finished outcome: it needs its finished_at', async () => {
    const running = await startIngestionRun(db, { source: 'fred' });
    await expect(sql`update ingestion_runs set status = 'deferred' where id = ${running.id}`.execute(db)).rejects.toMatchObject({ code: '23514' });
    await expect(sql`update ingestion_runs set status = 'later', finished_at = now() where id = ${running.id}`.execute(db)).rejects.toMatchObject({
      code: '23514',
    });
    expect(await finishIngestionRun(db, running.id, { status: 'deferred', totals: TOTALS })).toMatchObject({ status: 'deferred' });
  });
});
