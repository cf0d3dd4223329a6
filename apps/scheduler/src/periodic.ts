import { type Database, withExclusiveRun } from '@conveyor/db';
import type { Logger } from '@conveyor/observability';
import type { Kysely } from 'kysely';
import type { Counter } from 'prom-client';
import { startLoop } from './loop';

export interface PeriodicJob {
  name: string;
  intervalMs: number;
  /** Advisory-lock key: one replica at a time runs the job. */
  lockKey: number;
  run: () => Promise<Record<string, number>>;
}

/**
 * Runs a job every intervalMs in whichever replica takes its advisory lock first. A failed
 * run is logged and the next one goes ahead. Returns a stop() that waits for a run in progress.
 */
export function startPeriodic(job: PeriodicJob, deps: { db: Kysely<Database>; logger: Logger; runs: Counter<'job' | 'result'> }): () => Promise<void> {
  const pass = async () => {
    try {
      let report: Record<string, number> = {};
      const ran = await withExclusiveRun(deps.db, job.lockKey, async () => {
        report = await job.run();
      });
      deps.runs.inc({ job: job.name, result: ran ? 'ran' : 'skipped' });
      if (ran && Object.values(report).some((n) => n > 0)) deps.logger.info(`${job.name} pass`, report);
    } catch (error) {
      deps.runs.inc({ job: job.name, result: 'error' });
      deps.logger.warn(`${job.name} pass failed; trying again next interval`, { error });
    }
  };
  return startLoop(pass, job.intervalMs, Math.min(1000, job.intervalMs));
}
