import { z } from 'zod';
import { TASK_CATALOG, TASK_NAMES, type TaskName } from './catalog';
import type { TaskPolicy } from './define-task';
import { jsonText } from './json-text';

const ms = z.number().int().positive();

/** A partial policy for one task type, as operators write it in TASK_OVERRIDES. */
export const taskPolicyOverrideSchema = z
  .object({
    attempts: z.number().int().min(1).max(100),
    maxLostAttempts: z.number().int().min(1).max(100),
    backoff: z.object({ baseMs: ms, maxMs: ms }).strict(),
    softTimeoutMs: ms,
    hardTimeoutMs: ms,
    retentionMs: ms,
  })
  .strict()
  .partial();

/**
 * TASK_OVERRIDES: JSON of task name → partial policy (attempts, maxLostAttempts, backoff,
 * softTimeoutMs, hardTimeoutMs, retentionMs), e.g.
 * `{"test_task": {"attempts": 5, "hardTimeoutMs": 60000}}`. Unknown task names are refused.
 */
export const taskOverridesSchema = jsonText(
  z.record(z.string(), taskPolicyOverrideSchema).superRefine((record, ctx) => {
    for (const name of Object.keys(record)) {
      if (!(TASK_NAMES as string[]).includes(name)) {
        ctx.addIssue({ code: 'custom', path: [name], message: `unknown task; known: ${TASK_NAMES.join(', ')}` });
      }
    }
  }),
  '{"test_task":{"attempts":5}}',
);
export type TaskOverrides = z.infer<typeof taskOverridesSchema>;

/** The policy of every task type: the catalog's defaults with the operator's overrides applied. */
export class TaskPolicies {
  private readonly policies = new Map<string, TaskPolicy>();

  constructor(overrides: TaskOverrides = {}) {
    for (const name of TASK_NAMES) {
      const policy = { ...TASK_CATALOG[name].defaults, ...overrides[name] };
      if (policy.hardTimeoutMs < policy.softTimeoutMs) policy.hardTimeoutMs = policy.softTimeoutMs;
      this.policies.set(name, policy);
    }
  }

  get(task: TaskName | string): TaskPolicy {
    const policy = this.policies.get(task);
    if (!policy) throw new Error(`no policy for unknown task "${task}"`);
    return policy;
  }
}

/** The delay before attempt `attempt + 1`: exponential, capped, with "equal jitter" (half fixed, half random). */
export function backoffDelayMs(policy: TaskPolicy, attempt: number, random: () => number = Math.random): number {
  const exponential = Math.min(policy.backoff.maxMs, policy.backoff.baseMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(exponential / 2 + random() * (exponential / 2));
}
