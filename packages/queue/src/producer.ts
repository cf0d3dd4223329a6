import type { QueueName } from '@conveyor/contracts';
import { Queue } from 'bullmq';
import { QueueUnavailableError } from './errors/queue-unavailable-error';
import { groupBy } from './group-by';
import { jobKey, queuePrefix } from './queue-keys';
import type { RedisClient } from './redis';

/** What the producer needs of a committed task to enqueue it. */
export interface EnqueueRequest {
  id: string;
  task: string;
  queue: QueueName | string;
  /** Milliseconds before it may run. */
  delayMs?: number;
  /** BullMQ priority: 1 first; 0 or absent means none. */
  priority?: number;
}

/** Job options every task job gets: Redis keeps no finished jobs, Postgres has them. */
export const TASK_JOB_OPTIONS = {
  removeOnComplete: true,
  removeOnFail: { age: 3600, count: 1000 },
} as const;

/**
 * Enqueues committed tasks: one BullMQ job per task, its id the task id, its data only the
 * task id. A second add of the same id is a no-op in BullMQ, so re-enqueueing is safe.
 * `prefix` is the deployment's base prefix (BULLMQ_PREFIX); each queue's keys live under
 * `queuePrefix(prefix, queue)`.
 */
export class TaskProducer {
  private readonly queues = new Map<string, Queue>();

  constructor(
    private readonly connection: RedisClient,
    readonly prefix: string,
  ) {}

  queue(name: QueueName | string): Queue {
    let queue = this.queues.get(name);
    if (!queue) {
      queue = new Queue(name, { connection: this.connection, prefix: queuePrefix(this.prefix, name), defaultJobOptions: TASK_JOB_OPTIONS });
      // Errors surface on add(); the event only needs a listener so it cannot crash the process.
      queue.on('error', () => undefined);
      this.queues.set(name, queue);
    }
    return queue;
  }

  private assertConnected(): void {
    // BullMQ would wait for a connection that is not there; fail now so the caller can say 503.
    if (this.connection.status !== 'ready') throw new QueueUnavailableError(`Redis is not connected (${this.connection.status})`);
  }

  async enqueue(request: EnqueueRequest): Promise<void> {
    await this.enqueueMany([request]);
  }

  /** Enqueues many tasks with one addBulk per queue. */
  async enqueueMany(requests: EnqueueRequest[]): Promise<void> {
    if (requests.length === 0) return;
    this.assertConnected();
    await Promise.all(
      [...groupBy(requests, (r) => r.queue)].map(([queue, batch]) =>
        this.queue(queue).addBulk(
          batch.map((r) => ({
            name: r.task,
            data: { task_id: r.id },
            opts: { jobId: r.id, ...(r.delayMs ? { delay: r.delayMs } : {}), ...(r.priority ? { priority: r.priority } : {}) },
          })),
        ),
      ),
    );
  }

  /**
   * Enqueues tasks that may still have a job from their earlier run: a replay sent right
   * after a failure can arrive while the worker is still completing that run's job, and
   * BullMQ ignores an add whose job id it holds. A finished job (the failed set) is removed
   * and replaced; one still active is waited for, up to waitMs; one already waiting or delayed
   * stands. Returns the ids still held by an active job at the deadline (not enqueued; the
   * reconciler enqueues them once that job is gone).
   */
  async enqueueReplacing(requests: EnqueueRequest[], waitMs = 2000): Promise<string[]> {
    this.assertConnected();
    const exists = await this.existingJobs(requests);
    await this.enqueueMany(requests.filter((_, i) => !exists[i]));
    let held = requests.filter((_, i) => exists[i]);
    const deadline = Date.now() + waitMs;
    while (held.length > 0) {
      const active: EnqueueRequest[] = [];
      for (const request of held) {
        const job = await this.queue(request.queue).getJob(request.id);
        const state = job ? await job.getState() : 'gone';
        if (state === 'active') active.push(request);
        else if (state === 'completed' || state === 'failed' || state === 'gone' || state === 'unknown') {
          if (job && state !== 'gone') await job.remove().catch(() => undefined); // gone meanwhile: fine
          await this.enqueueMany([request]);
        }
        // waiting, delayed, prioritized: already queued to run.
      }
      held = active;
      if (held.length === 0 || Date.now() >= deadline) break;
      await new Promise((r) => setTimeout(r, 25));
    }
    return held.map((r) => r.id);
  }

  /** Whether each request's job exists: one pipeline per queue (a queue is one cluster slot). */
  private async existingJobs(requests: EnqueueRequest[]): Promise<boolean[]> {
    const exists = new Map<string, boolean>();
    await Promise.all(
      [...groupBy(requests, (r) => r.queue)].map(async ([queue, batch]) => {
        const pipeline = this.connection.pipeline();
        for (const r of batch) pipeline.exists(jobKey(this.prefix, queue, r.id));
        const replies = (await pipeline.exec()) ?? [];
        for (const [i, [error, n]] of replies.entries()) {
          if (error) throw error;
          exists.set(`${queue}\n${batch[i]!.id}`, n === 1);
        }
      }),
    );
    return requests.map((r) => exists.get(`${r.queue}\n${r.id}`) === true);
  }

  /** Removes a waiting or delayed task's job; false when it is running (locked) or gone. */
  async remove(queue: string, id: string): Promise<boolean> {
    this.assertConnected();
    return (await this.queue(queue).remove(id)) === 1;
  }

  /**
   * Closes the queues that connected. One whose start-up still waits for the shared
   * connection (Redis down since it was made) is left as it is: BullMQ's close would drop its
   * error listener, and the start-up's failure, when the owner then disconnects the client,
   * would surface as an unhandled rejection (BullMQ guards this only for connections it owns).
   * Left open, that failure reaches the queue's own listener, and the queue holds nothing else.
   */
  async close(): Promise<void> {
    await Promise.all([...this.queues.values()].map(async (q) => (await hasConnected(q)) && q.close()));
  }
}

/** Whether the queue's start-up on its connection has finished (checked without waiting for it). */
function hasConnected(queue: Queue): Promise<boolean> {
  return Promise.race([
    queue.waitUntilReady().then(
      () => true,
      () => false,
    ),
    new Promise<boolean>((resolve) => setImmediate(() => resolve(false))),
  ]);
}
