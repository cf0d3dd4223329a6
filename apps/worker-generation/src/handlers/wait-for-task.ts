import { isTerminal } from '@conveyor/contracts';
import { type Database, type TaskRow, findTask } from '@conveyor/db';
import type { TaskContext } from '@conveyor/queue';
import type { Kysely } from 'kysely';

const FIRST_POLL_MS = 100;
const MAX_POLL_MS = 1000;

/**
 * Waits for another task to end, reading its row (one primary-key read per poll, backing off
 * to a second), and passes its progress on to the waiting task's own. Stops when the waiting
 * attempt's signal fires (its time limit, a shutdown): the attempt then fails as any other
 * would, and a retry waits again for the same task.
 */
export async function waitForTask(db: Kysely<Database>, taskId: string, ctx: TaskContext): Promise<TaskRow> {
  let pollMs = FIRST_POLL_MS;
  let shown = -1;
  for (;;) {
    ctx.signal.throwIfAborted();
    const row = await findTask(db, taskId);
    if (!row) throw new Error(`task ${taskId} is gone`);
    if (isTerminal(row.status)) return row;
    if (row.progress !== shown && row.progress > 0) {
      shown = row.progress;
      await ctx.progress(row.progress, row.message ?? `Applying transformation... ${row.progress} %`);
    }
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, pollMs);
      ctx.signal.addEventListener('abort', () => (clearTimeout(timer), resolve()), { once: true });
    });
    pollMs = Math.min(MAX_POLL_MS, pollMs * 2);
  }
}
