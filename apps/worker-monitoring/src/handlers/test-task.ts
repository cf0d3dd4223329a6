import type { TaskHandler } from '@conveyor/queue';
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * Reports progress in `steps` steps, `step_ms` apart, then echoes the message. Its first
 * `fail_attempts` attempts fail after their steps with a transient error, which the worker
 * retries like any other. Each step is a line of the task's log (ctx.log).
 */
export const testTask: TaskHandler<'test_task'> = async ({ message, steps, step_ms, fail_attempts = 0 }, ctx) => {
  for (let step = 1; step <= steps; step += 1) {
    await sleep(step_ms, undefined, { signal: ctx.signal });
    ctx.log('info', `step ${step} of ${steps}`, { step, steps });
    await ctx.progress((step / steps) * 100, `step ${step} of ${steps}`);
  }
  if (ctx.attempt <= fail_attempts) ctx.log('warn', `attempt ${ctx.attempt} fails on purpose`, { fail_attempts });
  if (ctx.attempt <= fail_attempts) throw new Error(`attempt ${ctx.attempt} fails on purpose (fail_attempts: ${fail_attempts})`);
  return { echo: message };
};
