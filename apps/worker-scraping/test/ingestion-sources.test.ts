import type { IngestionSourceName } from '@conveyor/contracts';
import { SIM_COMTRADE_SUBSCRIPTION_KEY, SIM_FRED_API_KEY } from '@conveyor/sim';
import { type ScrapingHarness, scrapingHarness } from './scraping-harness';

// Every source through the framework, the worker's handler and Postgres, against its simulator:
// a full run, an incremental run, a re-run, recovery from 429 and 500, a malformed page, a
// refused request, a missing key; and no secret anywhere it could leak to.

const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;
// The simulator's keys: distinctive strings, so any place they leak to is found.
const CANARIES = { FRED_API_KEY: SIM_FRED_API_KEY, COMTRADE_SUBSCRIPTION_KEY: SIM_COMTRADE_SUBSCRIPTION_KEY };

/** Each source, the secrets it needs, and how far to move the clock for new data to appear. */
const SOURCES: { source: IngestionSourceName; secrets: (keyof typeof CANARIES)[]; step: number }[] = [
  { source: 'gdelt', secrets: [], step: 15 * MINUTE },
  { source: 'reliefweb', secrets: [], step: DAY },
  { source: 'fred', secrets: ['FRED_API_KEY'], step: 40 * DAY },
  { source: 'worldbank', secrets: [], step: 400 * DAY },
  { source: 'comtrade', secrets: ['COMTRADE_SUBSCRIPTION_KEY'], step: 40 * DAY },
];

describe.each(SOURCES)('ingestion of $source', ({ source, secrets, step }) => {
  let h: ScrapingHarness;
  beforeAll(async () => {
    h = await scrapingHarness({ secrets: CANARIES });
  });
  afterAll(async () => {
    // No secret reached a log line, a task (payload, result, error), the audit trail or a record.
    const rows = JSON.stringify([
      await h.db.selectFrom('tasks').selectAll().execute(),
      await h.db.selectFrom('ingestion_runs').selectAll().execute(),
      await h.db.selectFrom('ingestion_records').selectAll().execute(),
    ]);
    for (const canary of Object.values(CANARIES)) {
      expect(h.logs()).not.toContain(canary);
      expect(rows).not.toContain(canary);
    }
    await h.close();
  });

  let first: Awaited<ReturnType<ScrapingHarness['ingest']>>;

  it('a full run fetches every page of its window and keeps each item once', async () => {
    first = await h.ingest(source);
    expect(first.outcome.kind).toBe('success');
    expect(first.run).toMatchObject({ status: 'succeeded', error: null });
    expect(first.run.pages).toBeGreaterThan(0);
    expect(first.run.fetched).toBeGreaterThan(0);
    expect(first.run.inserted).toBeGreaterThan(0);
    expect(first.run.updated).toBe(0);
    expect(await h.recordCount(source)).toBe(first.run.inserted);
    expect(first.task.result).toMatchObject({ run_id: first.run.id, source, inserted: first.run.inserted, pages: first.run.pages });
    expect(h.sim.requestsOf(source).length).toBeGreaterThanOrEqual(first.run.pages);
  });

  it('re-running a window at once duplicates nothing and rewrites nothing', async () => {
    const before = await h.recordCount(source);
    const window = { from: first.run.window_from!.toISOString(), to: first.run.window_to!.toISOString() };
    const again = await h.ingest(source, window);
    expect(again.run).toMatchObject({ status: 'succeeded', inserted: 0, updated: 0 });
    expect(again.run.unchanged).toBeGreaterThan(0);
    expect(await h.recordCount(source)).toBe(before);
  });

  it('an incremental run starts where the last one ended and fetches only what is new', async () => {
    const before = await h.recordCount(source);
    h.advance(step);
    const second = await h.ingest(source);
    expect(second.run.status).toBe('succeeded');
    expect(second.run.window_from!.getTime()).toBeGreaterThanOrEqual(first.run.window_from!.getTime());
    expect(second.run.window_from!.getTime()).toBeLessThanOrEqual(first.run.window_to!.getTime());
    expect(second.run.inserted).toBeGreaterThan(0);
    expect(second.run.updated).toBe(0);
    expect(second.run.fetched).toBeLessThan(first.run.fetched + second.run.inserted);
    expect(await h.recordCount(source)).toBe(before + second.run.inserted);
  });

  it('recovers from a 429 with Retry-After and from a 500, counting the retries', async () => {
    h.sim.addFault({ source, status: 429, retryAfterS: 1, times: 1 });
    h.sim.addFault({ source, status: 500, times: 1 });
    h.advance(step);
    const { outcome, run } = await h.ingest(source);
    expect(outcome.kind).toBe('success');
    expect(run).toMatchObject({ status: 'succeeded', retries: 2 });
    expect(h.sim.requestsOf(source).filter((r) => r.status === 429 || r.status === 500)).toHaveLength(2);
  });

  it('fails a run whose page is malformed with a clear error in the audit trail, and the next run covers its window', async () => {
    const watermarkBefore = await h.db.selectFrom('ingestion_sources').select('watermark').where('source', '=', source).executeTakeFirstOrThrow();
    h.sim.addFault({ source, malformed: true, times: 1 });
    h.advance(step);
    const failed = await h.ingest(source);
    expect(failed.outcome.kind).toBe('failure');
    expect(failed.task.status).toBe('FAILURE');
    expect(failed.task.error).toMatchObject({ code: 'MALFORMED_PAGE' });
    expect(failed.run.status).toBe('failed');
    expect(failed.run.error).toMatchObject({ type: 'malformed_page' });
    expect((failed.run.error as { message: string }).message).toContain(`${source} page 1`);
    const watermarkAfter = await h.db.selectFrom('ingestion_sources').select('watermark').where('source', '=', source).executeTakeFirstOrThrow();
    expect(watermarkAfter.watermark).toEqual(watermarkBefore.watermark);

    const next = await h.ingest(source);
    expect(next.run.status).toBe('succeeded');
    expect(next.run.window_from).toEqual(failed.run.window_from);
    expect(next.run.inserted).toBeGreaterThan(0);
  });

  it('fails at once, with no retry, when the source refuses the request (a 4xx other than 429)', async () => {
    h.sim.addFault({ source, status: 400, times: 1 });
    h.advance(step);
    const { outcome, run, task } = await h.ingest(source);
    expect(outcome.kind).toBe('failure');
    expect(run).toMatchObject({ status: 'failed', retries: 0 });
    expect(run.error).toMatchObject({ type: 'source_error' });
    expect((run.error as { message: string }).message).toMatch(/answered 400/);
    expect(task.error).toMatchObject({ code: 'SOURCE_ERROR' });
  });

  if (secrets.length) {
    it('refuses to run without its key, naming the secret and where it was looked for', async () => {
      const keyless = await scrapingHarness({ secrets: {} });
      try {
        const { outcome, run } = await keyless.ingest(source);
        expect(outcome.kind).toBe('failure');
        expect(run.status).toBe('failed');
        expect(run.error).toMatchObject({ type: 'missing_secret' });
        expect((run.error as { message: string }).message).toContain(secrets[0]);
        expect(keyless.sim.requestsOf(source)).toHaveLength(0);
      } finally {
        await keyless.close();
      }
    });

    it('reports a wrong key as the source words it, without the key', async () => {
      const wrong = await scrapingHarness({ secrets: Object.fromEntries(secrets.map((s) => [s, 'wrong-key-0123456789abcdef'])) });
      try {
        const { run } = await wrong.ingest(source);
        expect(run.status).toBe('failed');
        expect(run.error).toMatchObject({ type: 'source_error' });
        expect(JSON.stringify(run.error)).not.toContain('wrong-key-0123456789abcdef');
        expect(wrong.logs()).not.toContain('wrong-key-0123456789abcdef');
      } finally {
        await wrong.close();
      }
    });
  }
});
