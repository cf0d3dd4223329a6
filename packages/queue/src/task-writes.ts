import {
  type AttemptRef,
  type Claim,
  type CompletionWrite,
  type Database,
  GroupCommit,
  deferTask,
  type ProgressWrite,
  type TaskErrorValue,
  type TaskStateResult,
  type TaskStateWrite,
  failTask,
  releaseTask,
  scheduleRetry,
  writeTaskStates,
} from '@conveyor/db';
import { type TaskMetrics, instanceId } from '@conveyor/observability';
import type { Kysely } from 'kysely';

/** An attempt that ends in a transient failure: the task runs again after nextAttemptInMs. */
export interface RetryWrite extends AttemptRef {
  error: TaskErrorValue;
  nextAttemptInMs: number;
}

/** An attempt that ends the task in FAILURE for good (and files its dead letter). */
export interface FailureWrite extends AttemptRef {
  error: TaskErrorValue;
  retentionMs: number;
}

/** An attempt put off for a reason outside the task: it runs again after delayMs, no attempt spent. */
export interface DeferWrite extends AttemptRef {
  reason: string;
  delayMs: number;
}

/**
 * Every state write of an attempt, from its claim to its outcome: the attempt reaches
 * Postgres through this interface only. Each write but the claim is a compare-and-set on
 * the attempt and resolves to whether it applied (false: the attempt no longer owns the task).
 */
export interface TaskWrites {
  claim(id: string): Promise<Claim | undefined>;
  progress(write: ProgressWrite): Promise<boolean>;
  complete(write: CompletionWrite): Promise<boolean>;
  retry(write: RetryWrite): Promise<boolean>;
  fail(write: FailureWrite): Promise<boolean>;
  /** Gives the task back (a worker shutting down) without spending one of its attempts. */
  release(ref: AttemptRef): Promise<boolean>;
  /** Puts the task off (a rate-limit window) without spending one of its attempts. */
  defer(write: DeferWrite): Promise<boolean>;
}

/**
 * Claims, progress and results of concurrent attempts, written by group commit: one
 * statement and one commit per flush for all of them, instead of one per write. Each call
 * still resolves only after its own row has committed, so BullMQ hears of a finished job only
 * once Postgres has its outcome. Writes to the same task never share a flush.
 *
 * Retries, failures, releases and deferrals are rarer (and a failure files a dead letter in the same
 * statement), so they are written one statement each, straight away.
 */
export class GroupCommitTaskWrites implements TaskWrites {
  private readonly group: GroupCommit<TaskStateWrite, TaskStateResult>;
  /** This process's instance id, kept on each task it claims (the attempt's worker). */
  private readonly worker = instanceId();

  constructor(
    private readonly db: Kysely<Database>,
    options: { maxBatch?: number; maxInFlight?: number; metrics?: TaskMetrics } = {},
  ) {
    this.group = new GroupCommit({
      write: (writes) => writeTaskStates(db, writes),
      key: (w) => w.id,
      maxBatch: options.maxBatch,
      maxInFlight: options.maxInFlight,
      onFlush: (size, ms) => {
        options.metrics?.groupCommitSize.observe(size);
        options.metrics?.groupCommitSeconds.observe(ms / 1000);
      },
    });
  }

  claim(id: string): Promise<Claim | undefined> {
    return this.group.submit({ kind: 'claim', id, worker: this.worker }) as Promise<Claim | undefined>;
  }

  progress(write: ProgressWrite): Promise<boolean> {
    return this.group.submit({ kind: 'progress', ...write }) as Promise<boolean>;
  }

  complete(write: CompletionWrite): Promise<boolean> {
    return this.group.submit({ kind: 'complete', ...write }) as Promise<boolean>;
  }

  retry(write: RetryWrite): Promise<boolean> {
    return scheduleRetry(this.db, write);
  }

  fail(write: FailureWrite): Promise<boolean> {
    return failTask(this.db, write);
  }

  release(ref: AttemptRef): Promise<boolean> {
    return releaseTask(this.db, ref);
  }

  defer(write: DeferWrite): Promise<boolean> {
    return deferTask(this.db, write);
  }
}

const shared = new WeakMap<Kysely<Database>, TaskWrites>();

/** One group-commit writer per database handle, for callers that did not bring their own. */
export function groupCommitWritesFor(db: Kysely<Database>): TaskWrites {
  let writes = shared.get(db);
  if (!writes) {
    writes = new GroupCommitTaskWrites(db);
    shared.set(db, writes);
  }
  return writes;
}
