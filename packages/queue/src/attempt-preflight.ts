import { type TaskDefinition, type TaskError, type TaskPolicy, getTaskDefinition } from '@conveyor/contracts';
import type { Claim } from '@conveyor/db';
import type { TaskHandler } from './handlers';
import type { RunTaskDeps } from './run-task-job';

/** A claimed task that may run: its contract, its handler, its policy and its checked payload. */
export interface RunnableTask {
  definition: TaskDefinition;
  handler: TaskHandler<never>;
  policy: TaskPolicy;
  payload: unknown;
}

/**
 * The checks a claimed task passes before its handler runs: a task of this queue with a
 * handler here, not lost with its worker too often, and a payload its contract accepts.
 * A task that fails one is failed for good, without running (an error says why).
 */
export function preflight(deps: Pick<RunTaskDeps, 'queue' | 'handlers' | 'policies'>, claim: Claim): RunnableTask | { error: TaskError } {
  const definition = getTaskDefinition(claim.task);
  const handler = deps.handlers[claim.task];
  if (!definition || definition.queue !== deps.queue || !handler) {
    return { error: { type: 'UnknownTask', message: `no handler for task "${claim.task}" on queue "${deps.queue}"` } };
  }
  const policy = deps.policies.get(claim.task);
  // Attempts lost with their worker have their own limit: a task that keeps killing its
  // worker ends here; one that was only caught in another's crash runs again.
  if (claim.lost_attempts >= policy.maxLostAttempts) {
    return {
      error: {
        type: 'AttemptsExhausted',
        message: `its worker stopped (crashed or stalled) while running it ${claim.lost_attempts} times; a task that keeps killing its worker is not run again`,
      },
    };
  }
  const payload = definition.payload.safeParse(claim.payload);
  if (!payload.success) {
    return { error: { type: 'InvalidPayload', message: payload.error.issues.map((i) => `${i.path.join('.') || 'payload'}: ${i.message}`).join('; ') } };
  }
  return { definition, handler, policy, payload: payload.data };
}
