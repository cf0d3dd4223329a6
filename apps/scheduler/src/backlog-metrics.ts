import { QUEUE_NAMES } from '@conveyor/contracts';
import { type Database, oldestWaitingTaskAges, scheduleLagSeconds } from '@conveyor/db';
import type { Kysely } from 'kysely';
import { Gauge, type Registry } from 'prom-client';

/**
 * The backlog as Postgres sees it, read when /metrics is scraped, for every queue whether or
 * not its worker runs (an alert on waiting tasks must fire most when no worker takes them):
 * `conveyor_queue_oldest_waiting_seconds{queue}` (0 when nothing waits) and
 * `conveyor_scheduler_lag_seconds`. When the read fails (Postgres unreachable) they report
 * no number rather than a stale or a reassuring 0 (no sample per queue; NaN for the lag, a
 * gauge without labels always has a sample); conveyor_dependency_up says why.
 */
export function registerBacklogMetrics(registry: Registry, db: Kysely<Database>): void {
  new Gauge({
    name: 'conveyor_queue_oldest_waiting_seconds',
    help: 'Age of the oldest task of the queue that is due and not claimed by a worker (0 when none waits), from Postgres at scrape time',
    labelNames: ['queue'],
    registers: [registry],
    async collect() {
      this.reset();
      const ages = await oldestWaitingTaskAges(db).catch(() => undefined);
      if (!ages) return;
      for (const queue of QUEUE_NAMES) this.set({ queue }, ages.find((a) => a.queue === queue)?.seconds ?? 0);
    },
  });
  new Gauge({
    name: 'conveyor_scheduler_lag_seconds',
    help: 'How long the earliest due enabled schedule has waited to be fired (0 when none is due), from Postgres at scrape time',
    registers: [registry],
    async collect() {
      this.set(await scheduleLagSeconds(db).catch(() => Number.NaN));
    },
  });
}
