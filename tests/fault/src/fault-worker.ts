import { setTimeout as sleep } from 'node:timers/promises';
import type { TaskHandler } from '@conveyor/queue';
import { runWorkerApp } from '@conveyor/service';

// A monitoring worker for fault tests: the real runtime from packages/service, with a
// test_task handler that misbehaves on command. Only tests start it; it is not an app.
//   throw                  always throws (a poison task)
//   crash                  kills its own process mid-task
//   ignore-abort:<ms>:<n>[:<other>]  on attempt n ignores its signal and finishes after <ms>;
//                          other attempts finish after <other> ms (default at once)
//   watch-abort:<ms>       waits up to <ms> for its signal, logs that it saw it, and stops
//   anything else          the real test_task: progress in steps, then the echo

const testTask: TaskHandler<'test_task'> = async ({ message, steps, step_ms }, ctx) => {
  const [command, arg1, arg2, arg3] = message.split(':');
  if (command === 'throw') throw new Error('poison: this task always throws');
  if (command === 'crash') {
    process.kill(process.pid, 'SIGKILL');
    await sleep(60_000);
  }
  if (command === 'ignore-abort') {
    if (ctx.attempt === Number(arg2)) {
      await sleep(Number(arg1)); // deliberately not passing ctx.signal
      return { echo: `late result of attempt ${ctx.attempt}` };
    }
    if (arg3) await sleep(Number(arg3));
    return { echo: `result of attempt ${ctx.attempt}` };
  }
  if (command === 'watch-abort') {
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, Number(arg1));
      ctx.signal.addEventListener('abort', () => {
        clearTimeout(timer);
        ctx.logger.info('handler saw its abort', { task_id: ctx.taskId, reason: String((ctx.signal.reason as Error)?.name) });
        resolve();
      });
    });
    ctx.signal.throwIfAborted();
    return { echo: 'never aborted' };
  }
  for (let step = 1; step <= steps; step += 1) {
    await sleep(step_ms, undefined, { signal: ctx.signal });
    await ctx.progress((step / steps) * 100, `step ${step} of ${steps}`);
  }
  return { echo: message };
};

runWorkerApp({ queue: 'monitoring', handlers: { ping: async () => 'pong', test_task: testTask }, defaultPort: 9490 });
