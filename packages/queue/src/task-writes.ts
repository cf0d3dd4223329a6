import {
  type Claim,
  type CompletionWrite,
  type Database,
  GroupCommit,
  type ProgressWrite,
  type TaskStateResult,
  type TaskStateWrite,
  writeTaskStates,
} from '@conveyor/db';
import type { TaskMetrics } from '@conveyor/observability';
import type { Kysely } from 'kysely';

/** The state writes every attempt makes (rarer ones, such as a retry, go straight to the db). */
export interface TaskWrites {
  claim(id: string): Promise<Claim | undefined>;
  progress(write: ProgressWrite): Promise<boolean>;
  complete(write: CompletionWrite): Promise<boolean>;
}

/**
 * Claims, progress and results of concurrent attempts, written by group commit: one
 * statement and one commit per flush for all of them, instead of one per write. Each call
 * still resolves only after its own row has committed, so BullMQ hears of a finished job only
 * once Postgres has its outcome. Writes to the same task never share a flush.
 */
export class GroupCommitTaskWrites implements TaskWrites {
  private readonly group: GroupCommit<TaskStateWrite, TaskStateResult>;

  constructor(db: Kysely<Database>, options: { maxBatch?: number; maxInFlight?: number; metrics?: TaskMetrics } = {}) {
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
    return this.group.submit({ kind: 'claim', id }) as Promise<Claim | undefined>;
  }

  progress(write: ProgressWrite): Promise<boolean> {
    return this.group.submit({ kind: 'progress', ...write }) as Promise<boolean>;
  }

  complete(write: CompletionWrite): Promise<boolean> {
    return this.group.submit({ kind: 'complete', ...write }) as Promise<boolean>;
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
