import { z } from 'zod';

/** Task states on the wire (Celery-compatible names). */
export const TASK_STATUSES = ['PENDING', 'STARTED', 'PROGRESS', 'RETRY', 'SUCCESS', 'FAILURE', 'REVOKED'] as const;
export type TaskStatus = (typeof TASK_STATUSES)[number];
/** One schema for every task status on the wire, so the OpenAPI document names it once (TaskStatus). */
export const taskStatusSchema = z.enum(TASK_STATUSES);

/** States a task never leaves. */
export const TERMINAL_STATUSES = ['SUCCESS', 'FAILURE', 'REVOKED'] as const satisfies readonly TaskStatus[];

/** States in which a worker attempt is running and may write progress or an outcome. */
export const RUNNING_STATUSES = ['STARTED', 'PROGRESS'] as const satisfies readonly TaskStatus[];

export function isTerminal(status: TaskStatus): boolean {
  return (TERMINAL_STATUSES as readonly TaskStatus[]).includes(status);
}

/** How an attempt ended (or `running`), as GET /api/v1/tasks/{id} lists them in attempt_history. */
export const ATTEMPT_OUTCOMES = ['running', 'success', 'retry', 'failure', 'lost', 'revoked', 'released', 'deferred', 'fenced'] as const;
export type AttemptOutcome = (typeof ATTEMPT_OUTCOMES)[number];
export const attemptOutcomeSchema = z.enum(ATTEMPT_OUTCOMES);
