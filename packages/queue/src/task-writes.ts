import {
  type Claim,
  type CompletionWrite,
  type Database,
  GroupCommit,
  type ProgressWrite,
  claimTasks,
  completeTasks,
  recordProgressMany,
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
 * statement (and one commit) per flush for each kind of write, instead of one per task. Each
 * call still resolves only after its own row has committed, so BullMQ hears of a finished
 * job only once Postgres has its outcome.
 */
export class GroupCommitTaskWrites implements TaskWrites {
  private readonly claims: GroupCommit<string, Claim | undefined>;
  private readonly progresses: GroupCommit<ProgressWrite, boolean>;
  private readonly completions: GroupCommit<CompletionWrite, boolean>;

  constructor(db: Kysely<Database>, options: { maxBatch?: number; maxInFlight?: number; metrics?: TaskMetrics } = {}) {
    const onFlush = (write: string) => (size: number, ms: number) => {
      options.metrics?.groupCommitSize.observe({ write }, size);
      options.metrics?.groupCommitSeconds.observe({ write }, ms / 1000);
    };
    const { maxBatch, maxInFlight } = options;
    this.claims = new GroupCommit({ write: (ids) => claimTasks(db, ids), key: (id) => id, maxBatch, maxInFlight, onFlush: onFlush('claim') });
    this.progresses = new GroupCommit({ write: (writes) => recordProgressMany(db, writes), key: (w) => w.id, maxBatch, maxInFlight, onFlush: onFlush('progress') });
    this.completions = new GroupCommit({ write: (writes) => completeTasks(db, writes), key: (w) => w.id, maxBatch, maxInFlight, onFlush: onFlush('complete') });
  }

  claim(id: string): Promise<Claim | undefined> {
    return this.claims.submit(id);
  }

  progress(write: ProgressWrite): Promise<boolean> {
    return this.progresses.submit(write);
  }

  complete(write: CompletionWrite): Promise<boolean> {
    return this.completions.submit(write);
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
