import { startIngestionRun } from '@conveyor/db';
import { scrapingHarness } from './scraping-harness';

// What the framework does for every source, shown with GDELT (windowed by time, every 15
// minutes): catch-up after downtime, the shared rate limit's waits, deferral on a long wait,
// the time limit, and the hooks.

const MINUTE = 60_000;

describe('ingestion framework', () => {
  it('catches up after downtime window by window, with no gap and no overlap, and moves the watermark to the end', async () => {
    const h = await scrapingHarness();
    try {
      const first = await h.ingest('gdelt');
      expect(first.run.status).toBe('succeeded');
      h.sim.reset();
      h.advance(2 * 60 * MINUTE + 5 * MINUTE); // two hours and five minutes down
      const caughtUp = await h.ingest('gdelt');
      expect(caughtUp.run).toMatchObject({ status: 'succeeded', error: null });
      expect(caughtUp.run.window_from).toEqual(first.run.window_to);
      expect(caughtUp.run.window_to!.getTime()).toBe(h.now());
      // Each window's first request: consecutive windows, each starting where the one before ended.
      const starts = h.sim
        .requestsOf('gdelt')
        .map((r) => [r.query.startdatetime, r.query.enddatetime] as const)
        .filter(([start], i, all) => all.findIndex(([s]) => s === start) === i);
      expect(starts.length).toBeGreaterThanOrEqual(9);
      for (let i = 1; i < starts.length; i++) expect(starts[i]![0]).toBe(starts[i - 1]![1]);
      const watermark = await h.db.selectFrom('ingestion_sources').select('watermark').where('source', '=', 'gdelt').executeTakeFirstOrThrow();
      expect(watermark.watermark!.getTime()).toBe(h.now());
      // Nothing new to do at the same instant.
      const idle = await h.ingest('gdelt');
      expect(idle.run).toMatchObject({ status: 'succeeded', pages: 0, window_from: null });
    } finally {
      await h.close();
    }
  });

  it('closes a run left open by an attempt whose worker was lost when the task runs again', async () => {
    const h = await scrapingHarness();
    try {
      let lostRunId = '';
      const { runs } = await h.ingest('gdelt', undefined, async (taskId) => {
        lostRunId = (await startIngestionRun(h.db, { source: 'gdelt', taskId })).id;
      });
      expect(runs.map((r) => [r.id === lostRunId, r.status])).toEqual([
        [true, 'failed'],
        [false, 'succeeded'],
      ]);
      expect(runs[0]!.error).toMatchObject({ type: 'lost' });
    } finally {
      await h.close();
    }
  });

  it('counts the waits of a tight shared rate limit and still finishes', async () => {
    const h = await scrapingHarness({ bucketClock: 'virtual', env: { INGESTION_RATE_LIMITS: '{"reliefweb":{"capacity":1,"refillPerSecond":1}}' } });
    try {
      const { run } = await h.ingest('reliefweb', { from: '2026-01-01T00:00:00Z', to: '2026-02-01T00:00:00Z' });
      expect(run.status).toBe('succeeded');
      expect(run.pages).toBeGreaterThan(1);
      // One token at a time, one a second on a clock that moves only by the waits: every page after the first waited once.
      expect(run.rate_limit_waits).toBe(run.pages - 1);
      const metrics = await h.metrics();
      expect(metrics).toMatch(/conveyor_ingestion_rate_waits_total\{source="reliefweb",how="slept"\} [1-9]/);
      expect(metrics).toContain('conveyor_ingestion_runs_total{source="reliefweb",status="succeeded"} 1');
      expect(metrics).toContain(`conveyor_ingestion_pages_total{source="reliefweb"} ${run.pages}`);
      expect(metrics).toContain(`conveyor_ingestion_records_total{source="reliefweb",outcome="inserted"} ${run.inserted}`);
    } finally {
      await h.close();
    }
  });

  it('defers the task, spending no attempt, when the source asks for a wait too long to sleep through', async () => {
    const h = await scrapingHarness();
    try {
      h.sim.addFault({ source: 'gdelt', status: 429, retryAfterS: 120, times: 1 });
      const { outcome, task, run } = await h.ingest('gdelt');
      expect(outcome.kind).toBe('deferred');
      expect(outcome).toMatchObject({ delayMs: expect.any(Number) });
      expect((outcome as { delayMs: number }).delayMs).toBeGreaterThanOrEqual(120_000);
      expect(task.status).toBe('RETRY');
      expect(run.status).toBe('deferred');
      expect(run.error).toMatchObject({ type: 'deferred' });
    } finally {
      await h.close();
    }
  });

  it('stops a run at its time limit and says so in the audit trail; the watermark keeps what was done', async () => {
    const h = await scrapingHarness({ env: { INGESTION_RUN_LIMIT_MS: '1500' } });
    try {
      h.sim.addFault({ source: 'gdelt', delayMs: 10_000 });
      const { outcome, run } = await h.ingest('gdelt');
      expect(outcome.kind).toBe('failure');
      expect(run.status).toBe('failed');
      expect(run.error).toMatchObject({ type: 'time_limit' });
      expect((run.error as { message: string }).message).toMatch(/limit of 1.5 s/);
    } finally {
      await h.close();
    }
  });

  it("calls a source's onSuccess and onFailure once per run, with the run's record; a failing hook fails nothing", async () => {
    const seen: { status: string; runId: string; inserted: number }[] = [];
    const h = await scrapingHarness({
      hooks: {
        gdelt: {
          onSuccess: (run) => void seen.push({ status: run.status, runId: run.runId, inserted: run.inserted }),
          onFailure: (run) => {
            seen.push({ status: run.status, runId: run.runId, inserted: run.inserted });
            throw new Error('the hook itself broke');
          },
        },
      },
    });
    try {
      const ok = await h.ingest('gdelt');
      h.sim.addFault({ source: 'gdelt', status: 404, times: 1 });
      h.advance(15 * MINUTE);
      const failed = await h.ingest('gdelt');
      expect(seen).toEqual([
        { status: 'succeeded', runId: ok.run.id, inserted: ok.run.inserted },
        { status: 'failed', runId: failed.run.id, inserted: 0 },
      ]);
      expect(failed.run.status).toBe('failed');
      expect(h.logs()).toContain('the onFailure hook of gdelt failed');
    } finally {
      await h.close();
    }
  });
});
