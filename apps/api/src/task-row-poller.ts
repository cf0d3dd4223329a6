import { type Database, type TaskRow, findTasks } from '@conveyor/db';
import type { Logger } from '@conveyor/observability';
import type { Kysely } from 'kysely';

type RowListener = (row: TaskRow) => void;

/** Ids per query: a page of the poll, so one statement never carries thousands of parameters. */
const CHUNK = 500;

/**
 * The Postgres backstop of every live-event stream in this process: one query per pollMs for
 * all the tasks being streamed (in chunks of 500), instead of one per stream. Each stream gets
 * its task's row and sends what pub/sub may have lost. A poll still running when the next is
 * due is not doubled.
 */
export class TaskRowPoller {
  private readonly listeners = new Map<string, Set<RowListener>>();
  private timer: NodeJS.Timeout | undefined;
  private polling = false;

  constructor(
    private readonly db: Kysely<Database>,
    private readonly pollMs: number,
    private readonly logger: Logger,
  ) {}

  /** Calls listener with the task's row every pollMs until the returned function is called. */
  add(taskId: string, listener: RowListener): () => void {
    let set = this.listeners.get(taskId);
    if (!set) this.listeners.set(taskId, (set = new Set()));
    set.add(listener);
    this.timer ??= setInterval(() => void this.poll(), this.pollMs);
    return () => {
      set.delete(listener);
      if (set.size === 0 && this.listeners.get(taskId) === set) this.listeners.delete(taskId);
      if (this.listeners.size === 0) this.stop();
    };
  }

  /** Tasks being polled (for tests and metrics). */
  get size(): number {
    return this.listeners.size;
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  private async poll(): Promise<void> {
    if (this.polling) return;
    this.polling = true;
    try {
      const ids = [...this.listeners.keys()];
      for (let i = 0; i < ids.length; i += CHUNK) {
        const rows = await findTasks(this.db, ids.slice(i, i + CHUNK));
        for (const row of rows) for (const listener of this.listeners.get(row.id) ?? []) listener(row);
      }
    } catch (error) {
      // Postgres unreachable: the streams keep their pub/sub events and catch up next poll.
      this.logger.debug('live-event poll failed', { error });
    } finally {
      this.polling = false;
    }
  }
}
