import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { AttemptCounts } from './attempt-counts';

/** A registry of one app's metrics, with process defaults and a `service` label. */
export function createMetricsRegistry(service: string): Registry {
  const registry = new Registry();
  registry.setDefaultLabels({ service });
  collectDefaultMetrics({ register: registry });
  return registry;
}

/**
 * `conveyor_queue_jobs{queue,state}`: a queue's jobs by state, read when /metrics is scraped
 * (what an alert on a growing backlog, or a Prometheus-driven autoscaler, watches). When the
 * read fails (Redis unreachable) the gauge reports nothing rather than stale counts.
 */
export function registerQueueDepth(registry: Registry, queue: string, read: () => Promise<Record<string, number>>): void {
  new Gauge({
    name: 'conveyor_queue_jobs',
    help: 'Jobs of the queue by state (wait, active, paused, prioritized, delayed, failed), read at scrape time',
    labelNames: ['queue', 'state'],
    registers: [registry],
    async collect() {
      this.reset();
      const depth = await read().catch(() => undefined);
      for (const [state, count] of Object.entries(depth ?? {})) this.set({ queue, state }, count);
    },
  });
}

/**
 * `conveyor_workers_live{queue}`: worker processes in the worker registry by queue, 0 for a
 * queue none serves (what an alert on a queue left without workers watches), read at scrape
 * time. When the read fails (Redis unreachable) the gauge reports nothing.
 */
export function registerLiveWorkers(registry: Registry, queues: readonly string[], read: () => Promise<{ queue: string }[]>): void {
  new Gauge({
    name: 'conveyor_workers_live',
    help: 'Worker processes in the worker registry (heartbeat within three intervals), by queue, read at scrape time',
    labelNames: ['queue'],
    registers: [registry],
    async collect() {
      this.reset();
      const workers = await read().catch(() => undefined);
      if (!workers) return;
      for (const queue of new Set([...queues, ...workers.map((w) => w.queue)])) this.set({ queue }, workers.filter((w) => w.queue === queue).length);
    },
  });
}

/**
 * Metrics every worker runtime reports, by queue and task name. An attempt's start, end and
 * running count go through `attempts` (plain counts folded into the three metrics when they
 * are read); its duration is observed on `duration`.
 */
export function createTaskMetrics(registry: Registry) {
  const attempts = new AttemptCounts();
  const started: Counter<'queue' | 'task'> = new Counter({
    name: 'conveyor_task_attempts_started_total',
    help: 'Task attempts claimed by this worker',
    labelNames: ['queue', 'task'],
    registers: [registry],
    collect: () => attempts.foldInto(started, finished),
  });
  const finished: Counter<'queue' | 'task' | 'outcome'> = new Counter({
    name: 'conveyor_task_attempts_finished_total',
    help: 'Task attempts ended, by outcome (success, failure, skipped, fenced)',
    labelNames: ['queue', 'task', 'outcome'],
    registers: [registry],
    collect: () => attempts.foldInto(started, finished),
  });
  return {
    attempts,
    started,
    finished,
    duration: new Histogram({
      name: 'conveyor_task_duration_seconds',
      help: 'Handler run time of an attempt',
      labelNames: ['queue', 'task', 'outcome'],
      buckets: [0.005, 0.025, 0.1, 0.5, 1, 2.5, 10, 30, 120, 600],
      registers: [registry],
    }),
    deadLetters: new Counter({
      name: 'conveyor_dead_letters_total',
      help: 'Tasks that failed for good and were filed as dead letters by this worker',
      labelNames: ['queue', 'task'],
      registers: [registry],
    }),
    active: new Gauge({
      name: 'conveyor_tasks_active',
      help: 'Attempts running in this process now',
      labelNames: ['queue'],
      registers: [registry],
      collect() {
        attempts.foldRunning(this);
      },
    }),
    abandoned: new Gauge({
      name: 'conveyor_abandoned_handlers',
      help: 'Handlers still running after their attempt was abandoned (hard limit, revoke) because they ignore their abort signal',
      labelNames: ['queue'],
      registers: [registry],
    }),
    groupCommitSize: new Histogram({
      name: 'conveyor_group_commit_size',
      help: 'State writes (claims, progress, results) committed together in one statement',
      buckets: [1, 2, 5, 10, 25, 50, 100, 250, 500],
      registers: [registry],
    }),
    groupCommitSeconds: new Histogram({
      name: 'conveyor_group_commit_duration_seconds',
      help: 'Time of one group-commit statement, from sending it to its commit',
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5, 2],
      registers: [registry],
    }),
  };
}
export type TaskMetrics = ReturnType<typeof createTaskMetrics>;

/** Metrics of an HTTP server, by method, route pattern and status. */
export function createHttpMetrics(registry: Registry) {
  return {
    requests: new Histogram({
      name: 'conveyor_http_request_duration_seconds',
      help: 'HTTP requests by route pattern and status',
      labelNames: ['method', 'route', 'status'],
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1, 5],
      registers: [registry],
    }),
  };
}
export type HttpMetrics = ReturnType<typeof createHttpMetrics>;

/**
 * The registry's counter of this name, made and registered the first time: a process that
 * builds the same metrics twice (two routers, a handler per test) shares one counter.
 */
export function registeredCounter<L extends string>(registry: Registry, name: string, help: string, labelNames: readonly L[]): Counter<L> {
  return (registry.getSingleMetric(name) as Counter<L> | undefined) ?? new Counter({ name, help, labelNames, registers: [registry] });
}

/** Dataset versions made and the rows they carried: uploads in the API, transformations in the analysis worker. */
export function createDatasetMetrics(registry: Registry) {
  const counter = <L extends string>(name: string, help: string, labelNames: readonly L[]) => registeredCounter(registry, name, help, labelNames);
  return {
    versions: counter('conveyor_dataset_versions_total', 'Dataset versions made, by origin (upload, transformation)', ['origin'] as const),
    rows: counter('conveyor_dataset_rows_total', 'Rows stored in new dataset versions, by origin', ['origin'] as const),
    rowsRead: counter('conveyor_dataset_rows_read_total', 'Rows read by transformations from the versions they transform', [] as const),
    uploadBytes: counter('conveyor_dataset_upload_bytes_total', 'Bytes of dataset uploads stored', [] as const),
    uploadsRefused: counter('conveyor_dataset_uploads_refused_total', 'Dataset uploads refused, by status (400, 413, 429)', ['status'] as const),
  };
}
export type DatasetMetrics = ReturnType<typeof createDatasetMetrics>;
