import type { TaskEvent, TaskLogEvent } from '@conveyor/contracts';
import { type TaskLogRow, toTaskLogLine } from '@conveyor/db';
import type { RedisClient } from './redis';

/** The pub/sub channel of one task's live events. */
export function taskEventsChannel(prefix: string, taskId: string): string {
  return `${prefix}:events:${taskId}`;
}

/** The pub/sub channel on which revokes reach every worker process. */
export function cancelChannel(prefix: string): string {
  return `${prefix}:cancel`;
}

/**
 * Publishes task state changes for live listeners (SSE). Fire-and-forget: Postgres has the
 * truth, and a listener that misses an event catches up from its periodic re-read. Events of
 * one turn of the event loop (a group commit answers many attempts at once) go out as one
 * pipeline: one write to Redis instead of one per event.
 */
export class TaskEventPublisher {
  private buffered: [channel: string, message: string][] = [];

  /**
   * `watched`, when given, limits publishing to the tasks some client streams (see
   * WatchedTasks); without it every event is published.
   */
  constructor(
    private readonly redis: RedisClient,
    private readonly prefix: string,
    private readonly watched?: { has(taskId: string): boolean },
  ) {}

  publish(event: Omit<TaskEvent, 'at'>): void {
    if (this.watched && !this.watched.has(event.task_id)) return;
    this.send(event.task_id, JSON.stringify({ ...event, at: new Date().toISOString() }));
  }

  /** Publishes a stored log line (ctx.log) on the task's channel, as a `log` message. */
  publishLog(taskId: string, row: TaskLogRow): void {
    if (this.watched && !this.watched.has(taskId)) return;
    const event: TaskLogEvent = { kind: 'log', task_id: taskId, ...toTaskLogLine(row) };
    this.send(taskId, JSON.stringify(event));
  }

  private send(taskId: string, message: string): void {
    this.buffered.push([taskEventsChannel(this.prefix, taskId), message]);
    if (this.buffered.length === 1) setImmediate(() => this.flush());
  }

  private flush(): void {
    const events = this.buffered;
    this.buffered = [];
    if (events.length === 1) {
      this.redis.publish(events[0]![0], events[0]![1]).catch(() => undefined);
      return;
    }
    const pipeline = this.redis.pipeline();
    for (const [channel, message] of events) pipeline.publish(channel, message);
    pipeline.exec().catch(() => undefined);
  }

  /** Tells every worker process that a task was revoked; the one running it aborts it. */
  async publishCancel(taskId: string): Promise<void> {
    await this.redis.publish(cancelChannel(this.prefix), taskId);
  }
}
