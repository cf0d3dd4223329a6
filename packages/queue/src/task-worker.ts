import type { QueueName } from '@conveyor/contracts';
import { Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import { type RunTaskDeps, runTaskJob } from './run-task-job';

export interface TaskWorkerOptions extends RunTaskDeps {
  connection: Redis;
  prefix: string;
  concurrency: number;
}

/** A BullMQ worker on one queue whose every job is run by runTaskJob. */
export class TaskWorker {
  readonly worker: Worker;
  private closing: Promise<void> | undefined;

  constructor(private readonly options: TaskWorkerOptions) {
    const { connection, prefix, concurrency, ...deps } = options;
    this.worker = new Worker(options.queue as QueueName, (job) => runTaskJob(deps, job.data), {
      connection,
      prefix,
      concurrency,
    });
    this.worker.on('error', (error) => deps.logger.error('worker error', { error }));
    this.worker.on('failed', (job, error) => deps.logger.error('job failed in the runtime', { task_id: job?.id, error }));
  }

  /** Resolves once the worker's connections are up and it is taking jobs. */
  waitUntilReady(): Promise<unknown> {
    return this.worker.waitUntilReady();
  }

  /**
   * Stops taking jobs and waits up to graceMs for the active ones to finish. Jobs still
   * running after that are abandoned; BullMQ's stalled-job check hands them to another worker.
   */
  close(graceMs: number): Promise<void> {
    this.closing ??= (async () => {
      let timer: NodeJS.Timeout | undefined;
      const graceful = this.worker.close().then(() => true);
      const expired = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), graceMs)));
      const finished = await Promise.race([graceful, expired]);
      clearTimeout(timer);
      if (!finished) {
        this.options.logger.warn('grace period over: leaving active jobs to the stalled-job check', { grace_ms: graceMs });
        await this.worker.close(true);
      }
    })();
    return this.closing;
  }
}
