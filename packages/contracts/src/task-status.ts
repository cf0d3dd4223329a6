/** Task states on the wire (Celery-compatible names). */
export const TASK_STATUSES = ['PENDING', 'STARTED', 'PROGRESS', 'RETRY', 'SUCCESS', 'FAILURE', 'REVOKED'] as const;
export type TaskStatus = (typeof TASK_STATUSES)[number];

/** States a task never leaves. */
export const TERMINAL_STATUSES = ['SUCCESS', 'FAILURE', 'REVOKED'] as const satisfies readonly TaskStatus[];

/** States in which a worker attempt is running and may write progress or an outcome. */
export const RUNNING_STATUSES = ['STARTED', 'PROGRESS'] as const satisfies readonly TaskStatus[];

export function isTerminal(status: TaskStatus): boolean {
  return (TERMINAL_STATUSES as readonly TaskStatus[]).includes(status);
}
