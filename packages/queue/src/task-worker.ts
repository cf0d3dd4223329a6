import { type QueueName, TASK_LOG_LIMITS } from '@conveyor/contracts';
import { DelayedError, type Job, WaitingError } from 'bullmq';
import { type Database, findRevokedTasks, insertTaskLogs } from '@conveyor/db';
import type { Kysely } from 'kysely';
import { AbandonedHandlers } from './abandoned-handlers';
import { AttemptGate } from './attempt-gate';
import { AttemptPlace, OutcomeBacklog } from './attempt-place';
import { type EnvelopeDeps, runEnvelope } from './envelope-run';
import { FetchBudget } from './fetch-budget';
import { TaskProducer } from './producer';
import { queuePrefix } from './queue-keys';
import type { RedisClient } from './redis';
import { type RunTaskDeps, runTaskJob } from './run-task-job';
import type { StopLatch } from './stop-signal';
import { cancelChannel } from './task-events';
import { TaskJobWorker } from './task-job-worker';
import { GroupCommitTaskWrites, type TaskWrites } from './task-writes';

export interface TaskWorkerOptions extends Omit<RunTaskDeps, 'writes'> {
  /** Where revokes are looked up, and the attempts' writes go unless `writes` is given. */
  db: Kysely<Database>;
  /** Every state write of the attempts; by default group commit on db. */
  writes?: TaskWrites;
  connection: RedisClient;
  /** The deployment's base prefix (BULLMQ_PREFIX); the queue's keys live under queuePrefix(prefix, queue). */
  prefix: string;
  /** Most handlers running at once, counted in tasks (an envelope's tasks each count). */
  concurrency: number;
  /**
   * Tasks the worker may hold beyond its concurrency, waiting for a place (default 0). A place
   * is given back when its handler is done, before its outcome is written (AttemptPlace), so
   * with tasks waiting here the next handlers run while earlier outcomes commit. Worth it for
   * short tasks; for long ones it keeps tasks from an idle worker.
   */
  prefetch?: number;
  /** Milliseconds a job lock lasts without renewal (how soon a dead worker's job is redelivered). */
  lockDurationMs?: number;
  /** Milliseconds between checks for jobs whose lock lapsed. */
  stalledIntervalMs?: number;
  /**
   * Milliseconds between looks in Postgres for revokes of the tasks running here: how late a
   * revoke still arrives when its pub/sub message was lost (Redis reconnecting, say).
   */
  revokePollMs?: number;
  /**
   * Most handlers left running after their attempt was abandoned (they ignore their signal)
   * before the worker stops taking jobs until some end; default: the concurrency.
   */
  maxAbandoned?: number;
  /**
   * Milliseconds close() waits, after the grace period, for the tasks left to be released
   * (a write to Postgres each). Past it close() returns anyway, so a shutdown stays bounded
   * while Postgres is unreachable; those jobs come back through BullMQ's stall check.
   */
  releaseMs?: number;
}

/**
 * A BullMQ worker on one queue whose every job is run by runTaskJob: a task's own job, or an
 * envelope of many tasks (runEnvelope), each task in its own attempt. Retries are ours, not
 * BullMQ's: a transient failure moves the job to the delayed set for its backoff, and the
 * task row counts the attempts. BullMQ's stalled-job limit is set out of reach so that a
 * crashing task is failed by our attempt count (with a dead letter), not by BullMQ. The
 * concurrency is counted in tasks: the gate lets at most that many attempts run, and BullMQ
 * fetches only while the jobs held carry fewer tasks than that (FetchBudget).
 */
export class TaskWorker {
  readonly worker: TaskJobWorker;
  private closing: Promise<void> | undefined;
  private subscriber: RedisClient | undefined;
  private readonly gate: AttemptGate;
  /** Attempts writing their outcome after giving their place back: at most the concurrency. */
  private readonly backlog: OutcomeBacklog;
  private readonly budget: FetchBudget;
  /** Task ids of the attempts running in this process. */
  private readonly running = new Set<string>();
  /** The stops of the envelopes' members held here, by task id (how a revoke reaches one). */
  private readonly members = new Map<string, StopLatch>();
  private readonly producer: TaskProducer;
  private readonly revokePoll: NodeJS.Timeout;
  private checkingRevokes = false;
  /** Handlers still running after their attempt was abandoned. */
  readonly abandoned: AbandonedHandlers;

  constructor(private readonly options: TaskWorkerOptions) {
    const {
      connection,
      prefix,
      concurrency,
      prefetch,
      lockDurationMs,
      stalledIntervalMs,
      revokePollMs,
      maxAbandoned,
      releaseMs: _releaseMs,
      db,
      ...rest
    } = options;
    this.abandoned = new AbandonedHandlers(maxAbandoned ?? concurrency, (running, overLimit) => this.onAbandonedChange(running, overLimit));
    const deps: RunTaskDeps = {
      ...rest,
      abandoned: this.abandoned,
      writes: rest.writes ?? new GroupCommitTaskWrites(db, { metrics: rest.metrics }),
      taskLogs: rest.taskLogs ?? ((batch) => insertTaskLogs(db, batch, TASK_LOG_LIMITS.linesPerTask)),
    };
    this.gate = new AttemptGate(concurrency);
    this.backlog = new OutcomeBacklog(concurrency);
    this.producer = new TaskProducer(connection, prefix);
    const envelopeDeps: EnvelopeDeps = {
      run: deps,
      db,
      gate: this.gate,
      backlog: this.backlog,
      abandoned: this.abandoned,
      running: this.running,
      members: this.members,
      producer: this.producer,
    };
    this.worker = new TaskJobWorker(
      options.queue as QueueName,
      (job: Job, token?: string, signal?: AbortSignal) => this.process(deps, envelopeDeps, job, token, signal),
      {
        connection,
        prefix: queuePrefix(prefix, options.queue),
        concurrency,
        lockDuration: lockDurationMs ?? 30_000,
        stalledInterval: stalledIntervalMs ?? 30_000,
        maxStalledCount: 1_000_000,
      },
    );
    this.budget = new FetchBudget(concurrency + (prefetch ?? 0), (jobs) => (this.worker.concurrency = jobs));
    this.worker.onFetched = (job) => this.budget.fetched(tasksOf(job));
    this.worker.on('error', (error) => deps.logger.error('worker error', { error }));
    this.worker.on('failed', (job, error) => deps.logger.error('job failed in the runtime', { task_id: job?.id, error }));
    this.worker.on('stalled', (jobId) => deps.logger.warn('job stalled: its worker stopped renewing the lock; redelivering', { task_id: jobId }));
    this.revokePoll = setInterval(() => void this.checkRevokes(), revokePollMs ?? 500);
    this.revokePoll.unref();
  }

  /**
   * Past the limit of abandoned handlers the worker takes no new jobs (those running go on),
   * so a task type whose handlers hang cannot pile them up without bound; it takes jobs
   * again once enough of them end. Readiness reports it (see runWorkerApp in @conveyor/service).
   */
  private onAbandonedChange(running: number, overLimit: boolean): void {
    const { logger, metrics, queue } = this.options;
    metrics?.abandoned.set({ queue }, running);
    if (overLimit && !this.worker.isPaused()) {
      logger.error('too many abandoned handlers still running (they ignore their abort signal): taking no new jobs until some end', {
        abandoned: running,
        limit: this.abandoned.limit,
      });
      void this.worker.pause(true);
    } else if (!overLimit && this.worker.isPaused() && !this.closing) {
      logger.info('abandoned handlers ended: taking jobs again', { abandoned: running });
      this.worker.resume();
    }
  }

  /**
   * Revokes normally arrive over pub/sub (listenForCancels) at once. A message can be lost,
   * though (the subscriber reconnecting, a publish that failed), so the running tasks' rows
   * are also checked every revokePollMs: a revoke stored in Postgres reaches its handler even
   * then. One small query per interval, and none while nothing runs.
   */
  private async checkRevokes(): Promise<void> {
    if (this.running.size === 0 || this.checkingRevokes) return;
    this.checkingRevokes = true;
    try {
      for (const taskId of await findRevokedTasks(this.options.db, [...this.running])) {
        this.running.delete(taskId);
        if (this.cancel(taskId)) this.options.logger.info('revoke found in Postgres for a running task', { task_id: taskId });
      }
    } catch {
      // Postgres unreachable: the pub/sub path still works, and the next check tries again.
    } finally {
      this.checkingRevokes = false;
    }
  }

  /** Aborts a running task's handler: its own job's signal, or its envelope member's. */
  private cancel(taskId: string): boolean {
    if (this.worker.cancelJob(taskId, 'revoked')) return true;
    const member = this.members.get(taskId);
    if (!member || member.aborted) return false;
    member.stop('revoked');
    return true;
  }

  private async process(deps: RunTaskDeps, envelopeDeps: EnvelopeDeps, job: Job, token: string | undefined, signal: AbortSignal | undefined): Promise<string> {
    const taskIds = envelopeIds(job);
    if (!taskIds) {
      let left = 1;
      try {
        return await this.processOwn(deps, job, token, signal, () => ((left -= 1), this.budget.taskDone()));
      } finally {
        this.budget.jobDone(left);
      }
    }
    let left = taskIds.length;
    try {
      return await runEnvelope(envelopeDeps, job, taskIds, () => ((left -= 1), this.budget.taskDone()), signal);
    } finally {
      this.budget.jobDone(left);
    }
  }

  private async processOwn(deps: RunTaskDeps, job: Job, token: string | undefined, signal: AbortSignal | undefined, taskDone: () => void): Promise<string> {
    // A job back from a stall may have crashed its last worker: it runs alone (AttemptGate);
    // so does one split off an envelope back from a stall while its task was running.
    const suspect = job.stalledCounter > 0 || (job.data as { suspect?: unknown } | undefined)?.suspect === true;
    let release = signal?.aborted ? undefined : this.gate.tryAcquire(suspect);
    try {
      release ??= await this.gate.acquire(suspect, signal);
    } catch {
      // Revoked or shutting down before it started: nothing was claimed, no attempt spent.
      if (signal?.reason === 'revoked') return 'revoked';
      await job.moveToWait(token);
      throw new WaitingError();
    }
    const place = new AttemptPlace(this.backlog, () => (release(), taskDone()));
    try {
      if (suspect) deps.logger.warn('job back after its worker stopped (crash or stall): running it alone', { task_id: job.id, stalls: job.stalledCounter });
      if (job.id) this.running.add(job.id);
      const outcome = await runTaskJob(deps, job.data, signal, place);
      if (outcome.kind === 'retry' || outcome.kind === 'deferred') {
        await job.moveToDelayed(Date.now() + outcome.delayMs, token);
        throw new DelayedError();
      }
      if (outcome.kind === 'released') {
        await job.moveToWait(token);
        throw new WaitingError();
      }
      return outcome.kind;
    } finally {
      if (job.id) this.running.delete(job.id);
      place.done();
    }
  }

  /** Attempts running in this process now (an envelope counts each of its tasks running). */
  get activeCount(): number {
    return this.running.size;
  }

  /** Resolves once the worker's connections are up and it is taking jobs. */
  waitUntilReady(): Promise<unknown> {
    return this.worker.waitUntilReady();
  }

  /**
   * Listens for revokes on a dedicated subscriber connection: when the revoked task runs in
   * this process, its handler's signal fires at once.
   */
  async listenForCancels(subscriber: RedisClient): Promise<void> {
    this.subscriber = subscriber;
    const channel = cancelChannel(this.options.prefix);
    // The connection may carry other channels too (the worker app's watch announcements).
    subscriber.on('message', (from: string, taskId: string) => {
      if (from === channel && this.cancel(taskId)) this.options.logger.info('revoke received for a running task', { task_id: taskId });
    });
    await subscriber.subscribe(channel);
  }

  /**
   * Stops taking jobs and waits up to graceMs for the active ones to finish. Those still
   * running then are released: their handlers are aborted and their jobs go straight back
   * to the queue, so another worker takes them at once rather than after a stall timeout.
   * Releasing takes a write to Postgres per task; if that does not happen within releaseMs
   * (Postgres unreachable), close() gives up waiting: the jobs stay active, come back when
   * their locks lapse, and the next claim fences these attempts off.
   */
  close(graceMs: number): Promise<void> {
    this.closing ??= (async () => {
      let timer: NodeJS.Timeout | undefined;
      const graceful = this.worker.close().then(() => true);
      const expired = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), graceMs)));
      const finished = await Promise.race([graceful, expired]);
      clearTimeout(timer);
      if (!finished) {
        this.options.logger.warn('grace period over: releasing the tasks still running', { grace_ms: graceMs });
        this.worker.cancelAllJobs('shutdown');
        const releaseMs = this.options.releaseMs ?? 5000;
        const released = await Promise.race([graceful, new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), releaseMs)))]);
        clearTimeout(timer);
        if (!released) {
          this.options.logger.error(
            'could not release the tasks left in time (is Postgres reachable?); stopping anyway: their jobs come back when their locks lapse',
            {
              release_ms: releaseMs,
              task_ids: [...this.running],
            },
          );
        }
      }
      clearInterval(this.revokePoll);
      await this.producer.close();
      if (this.subscriber) this.subscriber.disconnect();
    })();
    return this.closing;
  }
}

/** An envelope's task ids; undefined for a task's own job. */
function envelopeIds(job: Job): string[] | undefined {
  const ids = (job.data as { task_ids?: unknown } | undefined)?.task_ids;
  return Array.isArray(ids) && ids.every((id) => typeof id === 'string') ? ids : undefined;
}

/** How many tasks a job carries. */
function tasksOf(job: Job): number {
  return envelopeIds(job)?.length ?? 1;
}
