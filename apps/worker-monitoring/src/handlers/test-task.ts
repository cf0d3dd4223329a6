import type { TaskHandler } from '@conveyor/queue';
import { setTimeout as sleep } from 'node:timers/promises';

/** Reports progress in `steps` steps, `step_ms` apart, then echoes the message. */
export const testTask: TaskHandler<'test_task'> = async ({ message, steps, step_ms }, ctx) => {
  for (let step = 1; step <= steps; step += 1) {
    await sleep(step_ms, undefined, { signal: ctx.signal });
    await ctx.progress((step / steps) * 100, `step ${step} of ${steps}`);
  }
  return { echo: message };
};
