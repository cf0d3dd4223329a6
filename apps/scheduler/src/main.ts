import { schedulerEnvSchema } from '@conveyor/config';
import { TaskPolicies } from '@conveyor/contracts';
import { CostTracker } from '@conveyor/cost-tracker';
import { ensureDefaultIngestionSources } from '@conveyor/db';
import { reconcileOnce } from '@conveyor/queue';
import { openProducer, runService } from '@conveyor/service';
import { Counter } from 'prom-client';
import { registerBacklogMetrics } from './backlog-metrics';
import { createBudgetAlertMetrics, sendDueBudgetAlerts } from './budget-alert-sender';
import { startPeriodic } from './periodic';
import { runRetention } from './retention';
import { createTickMetrics, startTicker } from './tick';

// The scheduler: every tick it fires due schedules (exactly once across replicas, through
// FOR UPDATE SKIP LOCKED and a unique (schedule, planned time)); and it runs the system jobs,
// the reconciler (Redis follows Postgres), the ingestion sources' schedules, budget alert webhooks and the retention
// clean-up (expired tasks, old dead letters and ingestion runs, reservations of dead workers). Any number of replicas may run; an advisory lock picks one per pass.
runService({
  service: 'scheduler',
  schema: schedulerEnvSchema,
  redis: 'producer',
  start: async ({ env, logger, registry, db, redis, releasers, serveHealth }) => {
    const producer = openProducer(redis, env.BULLMQ_PREFIX, releasers);
    const policies = new TaskPolicies(env.TASK_OVERRIDES);
    const costs = new CostTracker(db, logger, registry);
    const runs = new Counter({
      name: 'conveyor_scheduler_job_runs_total',
      help: 'Periodic system job passes',
      labelNames: ['job', 'result'] as const,
      registers: [registry],
    });
    registerBacklogMetrics(registry, db);
    const alertResults = createBudgetAlertMetrics(registry);
    const stops = [
      startTicker(
        {
          db,
          producer,
          policies,
          logger,
          batchSize: env.SCHEDULER_BATCH,
          parallel: env.SCHEDULER_PARALLEL_BATCHES,
          metrics: createTickMetrics(registry),
        },
        env.SCHEDULER_TICK_MS,
        (error) => logger.warn('schedule tick failed; trying again next tick', { error }),
      ),
      startPeriodic(
        {
          name: 'reconciler',
          intervalMs: env.RECONCILE_INTERVAL_MS,
          lockKey: 0x5c_0001,
          run: async () => ({ ...(await reconcileOnce({ db, redis, producer, policies, logger, graceMs: env.RECONCILE_GRACE_MS })) }),
        },
        { db, logger, runs },
      ),
      // The ingestion sources' system schedules: made if missing (the API makes them too), so a
      // deployment without the API still ingests; cheap and idempotent, it also repairs a deleted one.
      startPeriodic(
        {
          name: 'ingestion-sources',
          intervalMs: env.RETENTION_INTERVAL_MS,
          lockKey: 0x5c_0003,
          run: async () => (await ensureDefaultIngestionSources(db, env.INGESTION_AUTOSTART), {}),
        },
        { db, logger, runs },
      ),
      // Budget alerts that settles recorded: sent signed, retried with backoff (rows in Postgres,
      // leased per attempt, so a pass that dies loses nothing).
      startPeriodic(
        {
          name: 'budget-alerts',
          intervalMs: env.BUDGET_ALERT_INTERVAL_MS,
          lockKey: 0x5c_0004,
          run: () =>
            sendDueBudgetAlerts(
              db,
              {
                allowHosts: env.BUDGET_ALERT_ALLOW_HOSTS,
                timeoutMs: env.BUDGET_ALERT_TIMEOUT_MS,
                maxAttempts: env.BUDGET_ALERT_MAX_ATTEMPTS,
                backoffMs: env.BUDGET_ALERT_BACKOFF_MS,
              },
              { logger, results: alertResults },
            ),
        },
        { db, logger, runs },
      ),
      startPeriodic(
        {
          name: 'retention',
          intervalMs: env.RETENTION_INTERVAL_MS,
          lockKey: 0x5c_0002,
          run: () => runRetention(db, { deadLetters: env.DEAD_LETTER_RETENTION_DAYS, ingestionRuns: env.INGESTION_RUN_RETENTION_DAYS }, costs),
        },
        { db, logger, runs },
      ),
    ];
    releasers.add('ticker and system jobs', () => Promise.all(stops.map((stop) => stop())));
    await serveHealth(env.SCHEDULER_PORT);
    logger.info('scheduler ready', {
      tick_ms: env.SCHEDULER_TICK_MS,
      reconcile_every_ms: env.RECONCILE_INTERVAL_MS,
      retention_every_ms: env.RETENTION_INTERVAL_MS,
    });
  },
});
