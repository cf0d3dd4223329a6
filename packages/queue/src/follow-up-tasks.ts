import { type TaskName, type TaskPayloadInput, type TaskPolicies, getTaskDefinition } from '@conveyor/contracts';
import { type Database, insertTasks, taskRow } from '@conveyor/db';
import type { Kysely } from 'kysely';
import type { TaskProducer } from './producer';

/** A task a running task asks for: its idempotency key makes a retried attempt ask only once. */
export interface FollowUpTask<N extends TaskName = TaskName> {
  task: N;
  payload: TaskPayloadInput<N>;
  /** Unique per tenant: the same key again is the same task, not a second one. */
  idempotencyKey: string;
  delayMs?: number;
}

/**
 * Submits tasks from inside a handler (a published post's metrics captures, say), the way the
 * scheduler does: the rows are committed first, then enqueued; a crash in between leaves
 * PENDING rows that the reconciler enqueues with their remaining delay. Payloads are checked
 * against the catalog like any other submission.
 */
export class FollowUpTasks {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly producer: TaskProducer,
    private readonly policies: TaskPolicies,
  ) {}

  /** Returns the tasks' ids (an existing task's id when its key was used before). */
  async submit(tenantId: string, tasks: FollowUpTask[]): Promise<string[]> {
    const rows = tasks.map((t) => {
      const payload = getTaskDefinition(t.task)!.payload.parse(t.payload);
      return taskRow(this.policies, { tenantId, task: t.task, payload, delayMs: t.delayMs, idempotencyKey: t.idempotencyKey, origin: 'follow_up' });
    });
    const submitted = await insertTasks(this.db, rows);
    const created = submitted.filter((s) => s.created).map((s) => s.row);
    await this.producer.enqueueMany(created.map((r) => ({ id: r.id, task: r.task, queue: r.queue, delayMs: rows.find((x) => x.id === r.id)?.delay_ms ?? 0 })));
    return submitted.map((s) => s.row.id);
  }
}
