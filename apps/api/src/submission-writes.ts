import { type Database, GroupCommit, type Submitted, type TaskInsert, insertTasks } from '@conveyor/db';
import { type EnqueueRequest, type TaskProducer, isRedisUnavailable } from '@conveyor/queue';
import type { Kysely } from 'kysely';

/**
 * The writes of task submissions, grouped across concurrent requests: the rows of every
 * request that arrives while a statement runs go into the next one (one INSERT and one commit
 * for all of them), and their jobs into one addBulk (a batch request's rows are one INSERT of
 * their own, all or nothing, and its tasks go in envelopes: TaskProducer.enqueueTogether). Each request still hears back only about
 * its own tasks, after they committed (or were enqueued). Two submissions with the same
 * idempotency key never share an INSERT, so the second sees the first's task.
 */
export class SubmissionWrites {
  private readonly inserts: GroupCommit<TaskInsert, Submitted>;
  private readonly enqueues: GroupCommit<EnqueueRequest, void>;

  constructor(
    private readonly db: Kysely<Database>,
    private readonly producer: TaskProducer,
  ) {
    this.inserts = new GroupCommit({
      write: (tasks) => insertTasks(db, tasks),
      key: (t) => (t.idempotency_key ? `${t.tenant_id}\u0000${t.idempotency_key}` : t.id),
      maxBatch: 1000,
    });
    this.enqueues = new GroupCommit({
      write: async (requests) => {
        await producer.enqueueMany(requests);
        return requests.map(() => undefined);
      },
      maxBatch: 1000,
      isOutage: isRedisUnavailable,
    });
  }

  /**
   * Commits the tasks (or finds their idempotent twins), in order. A single task shares a
   * statement with those of concurrent requests; the tasks of one batch go in one statement of
   * their own, so a batch is committed whole or not at all.
   */
  insert(tasks: TaskInsert[]): Promise<Submitted[]> {
    if (tasks.length > 1) return insertTasks(this.db, tasks);
    return Promise.all(tasks.map((t) => this.inserts.submit(t)));
  }

  /**
   * Enqueues committed tasks; rejects if any of them could not be enqueued. The tasks of one
   * batch arrived together: they go in envelopes of many tasks per job.
   */
  async enqueue(requests: EnqueueRequest[]): Promise<void> {
    if (requests.length > 1) return this.producer.enqueueTogether(requests);
    await Promise.all(requests.map((r) => this.enqueues.submit(r)));
  }
}
