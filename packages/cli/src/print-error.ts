import { ConveyorApiError, WaitTimeoutError } from '@conveyor/client';
import { TaskOutcomeError } from './exit-codes';
import type { Output } from './output';

/**
 * An error for the person (stderr: the message, then each bad field) and, with --json, for
 * a script (stdout: `{ "error": {...} }`). A task's own failure was already printed as the
 * command's result, so it adds nothing to stdout.
 */
export function printError(out: Output, error: unknown, exitCode: number): void {
  const message = error instanceof Error ? error.message : String(error);
  out.note(`conveyor: ${message}`);
  if (error instanceof ConveyorApiError) for (const issue of error.issues) out.note(`  - ${issue.path}: ${issue.message}`);
  // A bug rather than a refusal: the stack helps whoever reports it.
  if (exitCode === 1 && !(error instanceof TaskOutcomeError || error instanceof WaitTimeoutError) && error instanceof Error && error.stack)
    out.note(error.stack);
  if (!out.json || error instanceof TaskOutcomeError) return;
  const api = error instanceof ConveyorApiError ? error : undefined;
  out.jsonLine({
    error: {
      type: error instanceof Error ? error.name : 'Error',
      message,
      exit_code: exitCode,
      ...(api ? { status: api.status, code: api.code, issues: api.issues, request_id: api.requestId ?? null } : {}),
      ...(error instanceof WaitTimeoutError ? { task_id: error.taskId, last_status: error.lastStatus ?? null } : {}),
    },
  });
}
