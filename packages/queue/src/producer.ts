import { ENVELOPE_MAX_SIZE, type QueueName } from '@conveyor/contracts';
import { Queue } from 'bullmq';
import { DEFAULT_ENVELOPE_SIZE, chunk, envelopeJobId } from './envelopes';
import { QueueUnavailableError } from './errors/queue-unavailable-error';
import { groupBy } from './group-by';
import { jobStates } from './job-states';
import { envelopeIndexKey, jobKey, queuePrefix } from './queue-keys';
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

/** A task's own job: its id and data are the task's id. */
function ownJob(r: EnqueueRequest, data: { task_id: string; suspect?: true } = { task_id: r.id }) {
  return { name: r.task, data, opts: { jobId: r.id, ...(r.delayMs ? { delay: r.delayMs } : {}), ...(r.priority ? { priority: r.priority } : {}) } };
}

/**
 * Enqueues committed tasks: one BullMQ job per task, its id the task id, its data only the
 * task id; or, for tasks that arrive together (enqueueTogether), envelopes of many task ids.
 * A second add of the same id is a no-op in BullMQ, so re-enqueueing is safe.
 * `prefix` is the deployment's base prefix (BULLMQ_PREFIX); each queue's keys live under
 * `queuePrefix(prefix, queue)`.
 */
export class TaskProducer {
  private readonly queues = new Map<string, Queue>();
  /** Most task ids in one envelope (enqueueTogether). */
  readonly envelopeSize: number;

  constructor(
    private readonly connection: RedisClient,
    readonly prefix: string,
    options: { envelopeSize?: number } = {},
  ) {
    this.envelopeSize = Math.max(1, Math.min(ENVELOPE_MAX_SIZE, Math.floor(options.envelopeSize ?? DEFAULT_ENVELOPE_SIZE)));
  }

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
    await Promise.all([...groupBy(requests, (r) => r.queue)].map(([queue, batch]) => this.queue(queue).addBulk(batch.map((r) => ownJob(r)))));
  }

  /**
   * Enqueues tasks that arrived together (a batch): those with no delay and no priority go in
   * envelopes of up to envelopeSize task ids, one job each, so BullMQ's scripts run once per
   * envelope instead of once per task; the others (and an envelope's worth of one) get their
   * own jobs. The index of enveloped tasks is written first: an envelope is never in Redis
   * without it, so the reconciler never mistakes an enveloped task for a lost one.
   */
  async enqueueTogether(requests: EnqueueRequest[]): Promise<void> {
    if (requests.length === 0) return;
    this.assertConnected();
    await Promise.all([...groupBy(requests, (r) => r.queue)].map(([queue, batch]) => this.addTogether(queue, batch)));
  }

  private async addTogether(queue: string, batch: EnqueueRequest[]): Promise<void> {
    const own = batch.filter((r) => r.delayMs || r.priority);
    const envelopes: { id: string; members: EnqueueRequest[] }[] = [];
    for (const members of chunk(
      batch.filter((r) => !r.delayMs && !r.priority),
      this.envelopeSize,
    )) {
      if (members.length === 1) own.push(members[0]!);
      else envelopes.push({ id: envelopeJobId(members.map((m) => m.id)), members });
    }
    if (envelopes.length > 0)
      await this.connection.hset(envelopeIndexKey(this.prefix, queue), ...envelopes.flatMap((e) => e.members.flatMap((m) => [m.id, e.id])));
    await this.queue(queue).addBulk([
      ...envelopes.map((e) => ({ name: envelopeName(e.members), data: { task_ids: e.members.map((m) => m.id) }, opts: { jobId: e.id } })),
      ...own.map((r) => ownJob(r)),
    ]);
  }

  /**
   * Gives tasks of a job already fetched their own jobs (an envelope's members that must run
   * again later, or alone): `suspect` marks them to run alone (AttemptGate).
   */
  async enqueueOwn(requests: (EnqueueRequest & { suspect?: boolean })[]): Promise<void> {
    if (requests.length === 0) return;
    this.assertConnected();
    await Promise.all(
      [...groupBy(requests, (r) => r.queue)].map(([queue, batch]) =>
        this.queue(queue).addBulk(batch.map((r) => ownJob(r, r.suspect ? { task_id: r.id, suspect: true } : { task_id: r.id }))),
      ),
    );
  }

  /**
   * Enqueues the tasks that no job holds, neither one of their own nor an envelope (a
   * submission replayed while its task is still queued): adding its own job to a task that
   * sits in an envelope would deliver it twice.
   */
  async enqueueMissing(requests: EnqueueRequest[]): Promise<void> {
    if (requests.length === 0) return;
    this.assertConnected();
    const states = await jobStates(this.connection, this.prefix, requests);
    await this.enqueueMany(requests.filter((_, i) => !states[i]!.exists));
  }

  /** Drops the index entries of an envelope's tasks once the envelope is done. */
  async forgetEnvelope(queue: string, taskIds: string[]): Promise<void> {
    if (taskIds.length > 0) await this.connection.hdel(envelopeIndexKey(this.prefix, queue), ...taskIds);
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

/** An envelope's job name: its tasks' name when they share one (the usual batch), else "envelope". */
function envelopeName(members: EnqueueRequest[]): string {
  return members.every((m) => m.task === members[0]!.task) ? members[0]!.task : 'envelope';
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
