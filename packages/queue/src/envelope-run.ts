import { type Database, findTasks } from '@conveyor/db';
import type { Job } from 'bullmq';
import type { Kysely } from 'kysely';
import type { AbandonedHandlers } from './abandoned-handlers';
import type { AttemptGate } from './attempt-gate';
import { AttemptPlace, type OutcomeBacklog } from './attempt-place';
import type { EnqueueRequest, TaskProducer } from './producer';
import { type RunTaskDeps, runTaskAttempt } from './run-task-job';
import { StopLatch } from './stop-signal';
import { withDbRetry } from './with-db-retry';

export interface EnvelopeDeps {
  run: RunTaskDeps;
  db: Kysely<Database>;
  /** The worker's limit counted in tasks (and its stall gate). */
  gate: AttemptGate;
  /** Attempts writing their outcome after giving their place back (AttemptPlace). */
  backlog: OutcomeBacklog;
  abandoned: AbandonedHandlers;
  /** Task ids whose attempt runs in this process now (revoke poll, close's report). */
  running: Set<string>;
  /** Each held member's stop: how a revoke reaches one member of an envelope. */
  members: Map<string, StopLatch>;
  /** Gives members their own jobs. */
  producer: TaskProducer;
}

/** A member that needs a job of its own again: due after delayMs, or now. */
type Again = { delayMs: number } | undefined;

/**
 * Runs the tasks of one envelope job. Each member takes a place at the gate like any job, so
 * the worker never runs more than its concurrency of handlers however jobs and envelopes mix;
 * members that take their places together claim and complete in one group-committed
 * statement. A member whose attempt ends in a retry, a deferral or a release (and one not
 * started when the worker shuts down or has too many abandoned handlers) gets a job of its
 * own, id its task id, delayed as a single job would be; the envelope completes once every
 * member has its outcome committed or its own job. `taskDone` is called once per member, as
 * it gives its place back: at its handler's end (AttemptPlace) or, at the latest, as it ends.
 *
 * An envelope back from a stall is not run again: it dissolves (see dissolveEnvelope).
 */
export async function runEnvelope(deps: EnvelopeDeps, job: Job, taskIds: string[], taskDone: () => void, signal?: AbortSignal): Promise<string> {
  if (job.stalledCounter > 0) {
    for (let i = 0; i < taskIds.length; i += 1) taskDone();
    return dissolveEnvelope(deps, job, taskIds);
  }
  // A member's place is given back once (at its handler's end, or at its own end).
  const placeFreed = taskIds.map(() => false);
  const freePlace = (i: number) => {
    if (placeFreed[i]) return;
    placeFreed[i] = true;
    taskDone();
  };
  const latches = taskIds.map((id) => {
    const latch = new StopLatch();
    deps.members.set(id, latch);
    return latch;
  });
  // One listener on the envelope's signal (a shutdown) for all its members.
  const onAbort = () => latches.forEach((l) => l.stop(signal?.reason));
  if (signal?.aborted) onAbort();
  else signal?.addEventListener('abort', onAbort, { once: true });
  const again: EnqueueRequest[] = [];
  // The first error of a member whose state write gave up (Postgres down too long).
  let failed: { reason: unknown } | undefined;
  const member = async (id: string, i: number): Promise<void> => {
    const latch = latches[i]!;
    try {
      const next = await runMember(deps, id, latch, () => freePlace(i));
      if (next) again.push({ id, task: job.name, queue: deps.run.queue, delayMs: next.delayMs });
    } catch (reason) {
      failed ??= { reason };
    } finally {
      if (deps.members.get(id) === latch) deps.members.delete(id);
      freePlace(i);
    }
  };
  try {
    await Promise.all(taskIds.map((id, i) => member(id, i)));
  } finally {
    signal?.removeEventListener('abort', onAbort);
  }
  await deps.producer.enqueueOwn(again);
  await deps.producer.forgetEnvelope(deps.run.queue, taskIds).catch(() => undefined); // a stale entry only costs a lookup
  // A member whose state write gave up fails the envelope, as it would its own job; the
  // reconciler then gives that task a job of its own.
  if (failed) throw failed.reason;
  return 'envelope';
}

/** One member's attempt, once it has its place; what it needs next if it must run again. */
async function runMember(deps: EnvelopeDeps, taskId: string, signal: StopLatch, placeFreed: () => void): Promise<Again> {
  if (deps.abandoned.overLimit) return { delayMs: 0 }; // taking no new work: another worker runs it
  let release = signal.aborted ? undefined : deps.gate.tryAcquire(false);
  try {
    release ??= await deps.gate.acquire(false, signal);
  } catch {
    // Revoked before it started (its claim would refuse it anyway), or shutting down.
    return signal.reason === 'revoked' ? undefined : { delayMs: 0 };
  }
  const taken = release;
  const place = new AttemptPlace(deps.backlog, () => (taken(), placeFreed()));
  deps.running.add(taskId);
  try {
    const outcome = await runTaskAttempt(deps.run, taskId, signal, place);
    if (outcome.kind === 'retry' || outcome.kind === 'deferred') return { delayMs: outcome.delayMs };
    if (outcome.kind === 'released') return { delayMs: 0 };
    return undefined;
  } finally {
    deps.running.delete(taskId);
    place.done();
  }
}

/**
 * An envelope back from a stall: its worker stopped (a crash, a kill, a stall) while running
 * it, and one of its tasks may be what killed it. It is not run again as a whole: its finished
 * tasks are left alone, and every unfinished one gets a job of its own. Those that were
 * running when the worker stopped are suspects: their jobs run alone (AttemptGate), as a job
 * back from a stall does, and their claims record the lost attempts; those that never started
 * (or wait for a retry, keeping what is left of its delay) are ordinary jobs. A job a task
 * already has (a retry's, or one the reconciler gave it) stands: the add is a no-op.
 */
async function dissolveEnvelope(deps: EnvelopeDeps, job: Job, taskIds: string[]): Promise<string> {
  const { logger, queue } = deps.run;
  const rows = await withDbRetry(() => findTasks(deps.db, taskIds), { maxMs: deps.run.dbRetryMaxMs, logger, what: 'read an envelope back from a stall' });
  const now = Date.now();
  const again = rows
    .filter((r) => r.status !== 'SUCCESS' && r.status !== 'FAILURE' && r.status !== 'REVOKED')
    .map((r) => ({
      id: r.id,
      task: r.task,
      queue,
      suspect: r.status === 'STARTED' || r.status === 'PROGRESS',
      delayMs: r.status === 'RETRY' && r.next_attempt_at ? Math.max(0, r.next_attempt_at.getTime() - now) : undefined,
    }));
  logger.warn('envelope back after its worker stopped (crash or stall): its unfinished tasks get jobs of their own, those that were running run alone', {
    envelope: job.id,
    stalls: job.stalledCounter,
    unfinished: again.length,
    suspects: again.filter((a) => a.suspect).map((a) => a.id),
  });
  await deps.producer.enqueueOwn(again);
  await deps.producer.forgetEnvelope(queue, taskIds).catch(() => undefined);
  return 'dissolved';
}
