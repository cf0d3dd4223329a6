import { z } from 'zod';
import { defineTask } from '../define-task';

export const ping = defineTask({
  name: 'ping',
  queue: 'monitoring',
  description: 'Answers "pong": checks that the monitoring worker takes and finishes work.',
  payload: z.object({}).strict(),
  result: z.literal('pong'),
  defaults: { attempts: 1, softTimeoutMs: 10_000, hardTimeoutMs: 15_000, retentionMs: 3_600_000 },
});

export const testTask = defineTask({
  name: 'test_task',
  queue: 'monitoring',
  description: 'Echoes a message after reporting progress in steps: exercises the whole lifecycle.',
  payload: z
    .object({
      message: z.string().min(1).max(1000),
      /** Progress steps to report before finishing. */
      steps: z.number().int().min(1).max(20).default(5),
      /** Milliseconds each step waits. */
      step_ms: z.number().int().min(0).max(10_000).default(200),
      /**
       * Attempts that fail with a transient error before one succeeds (absent: 0), so clients
       * and tests can watch a task go RETRY and then SUCCESS (or FAILURE past its attempts).
       */
      fail_attempts: z.number().int().min(0).max(5).optional(),
    })
    .strict(),
  result: z.object({ echo: z.string() }),
  defaults: { attempts: 3, softTimeoutMs: 5 * 60_000, hardTimeoutMs: 5 * 60_000 + 30_000 },
});
