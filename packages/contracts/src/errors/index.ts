// The failures a handler may throw (PermanentError, RetryLaterError, DeferTaskError) or see as its
// AbortSignal's reason (the rest): a small vocabulary shared by handlers, libraries and the
// worker, with no dependency on the queue that runs them.
export { PermanentError } from './permanent-error';
export { RetryLaterError } from './retry-later-error';
export { DeferTaskError } from './defer-task-error';
export { SoftTimeLimitError } from './soft-time-limit-error';
export { HardTimeLimitError } from './hard-time-limit-error';
export { TaskRevokedError } from './task-revoked-error';
export { WorkerShutdownError } from './worker-shutdown-error';
export { AttemptFencedError } from './attempt-fenced-error';
