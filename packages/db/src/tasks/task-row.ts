import { randomUUID } from 'node:crypto';
import { TASK_NAMES, type TaskOrigin, type TaskPolicies, getTaskDefinition } from '@conveyor/contracts';

/**
 * A task row to insert (createTasks / insertTasks); the payload is stored as JSON. Build it
 * with taskRow, which takes the task's queue and attempts from its definition; tests may write
 * one by hand.
 */
export interface TaskInsert {
  id: string;
  tenant_id: string;
  task: string;
  queue: string;
  payload: unknown;
  max_attempts: number;
  /** BullMQ priority: 0 or absent for none. */
  priority?: number;
  /**
   * Not to run for this many milliseconds. run_at is Postgres' now() plus this, never an
   * app's clock (docs/architecture.md, invariant 6: one clock).
   */
  delay_ms?: number | null;
  idempotency_key?: string | null;
  /** The schedule fire that makes this task; unique per (schedule_id, planned_at). */
  schedule_id?: string | null;
  planned_at?: Date | null;
  tags?: string[];
  metadata?: unknown;
  /** How the row came to be; 'api' when absent. */
  origin?: TaskOrigin;
}

/** What a task's origin (a submission, a schedule fire) says about it; the rest comes from its definition. */
export interface TaskRowInput {
  tenantId: string;
  /** A task name from the catalog. */
  task: string;
  /** The payload, already checked against the task's schema by the caller. */
  payload: unknown;
  priority?: number;
  delayMs?: number | null;
  idempotencyKey?: string | null;
  /** Set when a schedule fire makes the task. */
  fire?: { scheduleId: string; plannedAt: Date };
  /** The submitter's tags and metadata, already checked (taskSubmissionSchema). */
  tags?: string[];
  metadata?: Record<string, unknown> | null;
  /** How the task came to be; a fire is always 'schedule', anything else 'api' unless said. */
  origin?: TaskOrigin;
}

/** Thrown for a row that cannot be built: an unknown task, or values Postgres would store wrong. */
export class TaskRowError extends Error {
  override name = 'TaskRowError';
}

/**
 * The attempts a task gets: its definition's, or the operator's override (TASK_OVERRIDES).
 * A new task starts with them, and a replayed one gets them afresh.
 */
export function attemptBudget(policies: TaskPolicies, task: string): number {
  return policies.get(task).attempts;
}

const isCount = (n: number | null | undefined) => n == null || (Number.isSafeInteger(n) && n >= 0);

/**
 * The one place a task row is built, for every origin (TASK_ORIGINS: API submission single or
 * batch, schedule fire, chat, publish, follow-up): a fresh id, the queue and max_attempts of the task's definition and
 * policies, and what the origin adds. Refuses what would make a row no worker can run.
 */
export function taskRow(policies: TaskPolicies, input: TaskRowInput): TaskInsert {
  const definition = getTaskDefinition(input.task);
  if (!definition) throw new TaskRowError(`unknown task "${input.task}"; known tasks: ${TASK_NAMES.join(', ')}`);
  if (!input.tenantId) throw new TaskRowError('a task belongs to a tenant');
  if (!isCount(input.priority)) throw new TaskRowError(`priority must be a whole number ≥ 0, not ${input.priority}`);
  if (!isCount(input.delayMs)) throw new TaskRowError(`delay must be a whole number of milliseconds ≥ 0, not ${input.delayMs}`);
  if (input.fire && input.idempotencyKey) throw new TaskRowError('a schedule fire is made once by its (schedule, planned time); it takes no idempotency key');
  if (input.fire && Number.isNaN(input.fire.plannedAt.getTime())) throw new TaskRowError('a schedule fire needs a valid planned time');
  return {
    id: randomUUID(),
    tenant_id: input.tenantId,
    task: definition.name,
    queue: definition.queue,
    payload: input.payload ?? null,
    max_attempts: attemptBudget(policies, definition.name),
    priority: input.priority ?? 0,
    delay_ms: input.delayMs ?? null,
    idempotency_key: input.idempotencyKey ?? null,
    schedule_id: input.fire?.scheduleId ?? null,
    planned_at: input.fire?.plannedAt ?? null,
    ...(input.tags?.length ? { tags: input.tags } : {}),
    ...(input.metadata ? { metadata: input.metadata } : {}),
    origin: input.fire ? 'schedule' : (input.origin ?? 'api'),
  };
}
