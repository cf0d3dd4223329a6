import { ConnectionError, ConveyorApiError, ConveyorError, LiveEventsUnavailableError, WaitTimeoutError } from '@conveyor/client';

/** The process's exit codes; the README and `conveyor --help` list the same. */
export const EXIT = {
  ok: 0,
  /** The task ended in FAILURE or REVOKED, or a wait timed out (the task goes on). */
  taskFailed: 1,
  /** Bad flags, arguments, payload file or configuration: fix the command line. */
  usage: 2,
  /** The API refused the request (4xx: validation, not found, auth, conflict, rate limit). */
  refused: 3,
  /** The API could not answer (5xx, 503, no connection). */
  unavailable: 4,
  /** Ctrl-C: the wait stopped; the task goes on. */
  interrupted: 130,
} as const;

export const EXIT_CODES_HELP = `Exit codes:
  0    success
  1    the task ended in FAILURE or REVOKED, or --timeout-ms passed (the task goes on)
  2    usage error: bad flags, arguments, payload file or configuration
  3    the API refused the request (4xx: validation, not found, authentication, conflict, rate limit)
  4    the API is unavailable (5xx, 503) or could not be reached
  130  interrupted (Ctrl-C stops waiting; it does not cancel the task)`;

/** A mistake in the command line or the configuration: exit 2 with this message. */
export class UsageError extends Error {
  override name = 'UsageError';
}

/** A command's outcome that is not success but not an error either: a task that failed, a timeout. */
export class TaskOutcomeError extends Error {
  override name = 'TaskOutcomeError';
}

/** Ctrl-C during a wait. */
export class InterruptedError extends Error {
  override name = 'InterruptedError';
}

/** The exit code for what a command threw. */
export function exitCodeOf(error: unknown): number {
  if (error instanceof UsageError) return EXIT.usage;
  if (error instanceof InterruptedError) return EXIT.interrupted;
  if (error instanceof TaskOutcomeError || error instanceof WaitTimeoutError) return EXIT.taskFailed;
  if (error instanceof ConveyorApiError) return error.status >= 400 && error.status < 500 ? EXIT.refused : EXIT.unavailable;
  if (error instanceof ConnectionError || error instanceof LiveEventsUnavailableError) return EXIT.unavailable;
  // Any other client error means the answer was not what a Conveyor server sends.
  if (error instanceof ConveyorError) return EXIT.unavailable;
  return EXIT.taskFailed;
}
