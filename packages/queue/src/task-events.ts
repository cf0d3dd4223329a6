import type { TaskEvent } from '@conveyor/contracts';
import type { Redis } from 'ioredis';

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
 * truth, and a listener that misses an event catches up from its periodic re-read.
 */
export class TaskEventPublisher {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
  ) {}

  publish(event: Omit<TaskEvent, 'at'>): void {
    const message = JSON.stringify({ ...event, at: new Date().toISOString() });
    this.redis.publish(taskEventsChannel(this.prefix, event.task_id), message).catch(() => undefined);
  }

  /** Tells every worker process that a task was revoked; the one running it aborts it. */
  async publishCancel(taskId: string): Promise<void> {
    await this.redis.publish(cancelChannel(this.prefix), taskId);
  }
}
