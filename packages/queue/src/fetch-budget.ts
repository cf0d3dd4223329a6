/**
 * How many jobs the BullMQ worker may hold, so that what it holds is counted in tasks: an
 * envelope holds as many places as it has tasks left. BullMQ fetches while it holds fewer
 * jobs than its concurrency; that concurrency is kept at the jobs held plus the places left
 * free, so a worker with one envelope of `limit` tasks fetches nothing more until some end, and
 * other workers take the rest of a batch. With single jobs only it stays at `limit`, as before.
 */
export class FetchBudget {
  private jobs = 0;
  private tasks = 0;

  constructor(
    readonly limit: number,
    private readonly apply: (jobs: number) => void,
  ) {}

  /** A job was fetched carrying this many tasks. */
  fetched(tasks: number): void {
    this.jobs += 1;
    this.tasks += tasks;
    this.update();
  }

  /** One task of a held job ended (its place is free again). */
  taskDone(): void {
    this.tasks -= 1;
    this.update();
  }

  /** A held job ended; `tasksLeft` of its tasks had not been counted done. */
  jobDone(tasksLeft: number): void {
    this.jobs -= 1;
    this.tasks -= tasksLeft;
    this.update();
  }

  /** Jobs the worker may hold now (BullMQ's concurrency). */
  get allowed(): number {
    return Math.max(1, this.jobs + Math.max(0, this.limit - this.tasks));
  }

  private update(): void {
    this.apply(this.allowed);
  }
}
