import { type Job, type JobJsonRaw, Worker } from 'bullmq';

/**
 * BullMQ's Worker with one hook: `onFetched` sees every job as it is fetched, before it is
 * processed (nextJobFromJobData is where both BullMQ's fetch and its fetch-on-completion make
 * a job), so the jobs it goes on to fetch can depend on what it holds (see FetchBudget).
 */
export class TaskJobWorker extends Worker {
  onFetched: (job: Job) => void = () => undefined;

  protected override async nextJobFromJobData(jobData?: JobJsonRaw, jobId?: string, token?: string): Promise<Job> {
    const job = await super.nextJobFromJobData(jobData, jobId, token);
    // BullMQ resolves undefined when nothing was fetched, though its type does not say so.
    if (job as Job | undefined) this.onFetched(job);
    return job;
  }
}
