import type { QueueName } from '@conveyor/contracts';
import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { QueueUnavailableError } from './errors/queue-unavailable-error';

/** What the producer needs of a committed task to enqueue it. */
export interface EnqueueRequest {
  id: string;
  task: string;
  queue: QueueName;
}

/** Job options every task job gets: Redis keeps no finished jobs, Postgres has them. */
export const TASK_JOB_OPTIONS = {
  removeOnComplete: true,
  removeOnFail: { age: 24 * 3600, count: 1000 },
} as const;

/**
 * Enqueues committed tasks: one BullMQ job per task, its id the task id, its data only the
 * task id. A second add of the same id is a no-op in BullMQ, so re-enqueueing is safe.
 */
export class TaskProducer {
  private readonly queues = new Map<QueueName, Queue>();

  constructor(
    private readonly connection: Redis,
    private readonly prefix: string,
  ) {}

  queue(name: QueueName): Queue {
    let queue = this.queues.get(name);
    if (!queue) {
      queue = new Queue(name, { connection: this.connection, prefix: this.prefix, defaultJobOptions: TASK_JOB_OPTIONS });
      // Errors surface on add(); the event only needs a listener so it cannot crash the process.
      queue.on('error', () => undefined);
      this.queues.set(name, queue);
    }
    return queue;
  }

  async enqueue(request: EnqueueRequest): Promise<void> {
    // BullMQ would wait for a connection that is not there; fail now so the caller can say 503.
    if (this.connection.status !== 'ready') throw new QueueUnavailableError(`Redis is not connected (${this.connection.status})`);
    await this.queue(request.queue).add(request.task, { task_id: request.id }, { jobId: request.id });
  }

  async close(): Promise<void> {
    await Promise.all([...this.queues.values()].map((q) => q.close()));
  }
}
