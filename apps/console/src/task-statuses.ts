// The task statuses as run-time values, for the console's filters and tables. The API's types come
// from @conveyor/client as types only (nothing of it is bundled); this record is checked against
// them, so a status the API adds fails the console's typecheck until it is listed here.
import type { TaskStatus } from '@conveyor/client';

/** Every status, in the order the console shows them, and whether a task in it never changes again. */
const TERMINAL: Record<TaskStatus, boolean> = { PENDING: false, STARTED: false, PROGRESS: false, RETRY: false, SUCCESS: true, FAILURE: true, REVOKED: true };

export const TASK_STATUSES = Object.keys(TERMINAL) as TaskStatus[];

export const isTerminal = (status: TaskStatus): boolean => TERMINAL[status];
