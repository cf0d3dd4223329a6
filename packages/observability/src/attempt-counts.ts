import type { Counter, Gauge } from 'prom-client';

/** One task name's attempts on one queue since the last scrape. */
interface TaskCounts {
  started: number;
  /** Attempts ended since the last scrape, by outcome. */
  finished: Map<string, number>;
}

/**
 * The per-attempt counts of a worker (attempts started, attempts ended by outcome, attempts
 * running), kept as plain numbers and folded into their prom-client metrics when those are
 * read (a scrape): an attempt costs a few map look-ups instead of a label hash and check per
 * metric call. A scrape reads the same totals as if every attempt had been counted at once.
 */
export class AttemptCounts {
  /** Queue → task name → counts since the last fold. */
  private readonly byQueue = new Map<string, Map<string, TaskCounts>>();
  /** Attempts running now, by queue. */
  private readonly running = new Map<string, number>();

  private countsOf(queue: string, task: string): TaskCounts {
    let tasks = this.byQueue.get(queue);
    if (!tasks) {
      tasks = new Map();
      this.byQueue.set(queue, tasks);
    }
    let counts = tasks.get(task);
    if (!counts) {
      counts = { started: 0, finished: new Map() };
      tasks.set(task, counts);
    }
    return counts;
  }

  /** An attempt claimed and about to run. */
  started(queue: string, task: string): void {
    this.countsOf(queue, task).started += 1;
    this.running.set(queue, (this.running.get(queue) ?? 0) + 1);
  }

  /** An attempt that started has ended with `outcome`. */
  ended(queue: string, task: string, outcome: string): void {
    const { finished } = this.countsOf(queue, task);
    finished.set(outcome, (finished.get(outcome) ?? 0) + 1);
    this.running.set(queue, (this.running.get(queue) ?? 0) - 1);
  }

  /** A delivery that ended without an attempt (a finished, revoked or unknown task: `skipped`). */
  endedWithout(queue: string, task: string, outcome: string): void {
    const { finished } = this.countsOf(queue, task);
    finished.set(outcome, (finished.get(outcome) ?? 0) + 1);
  }

  /** Adds the counts since the last fold to the counters (at a scrape). */
  foldInto(started: Counter<'queue' | 'task'>, finished: Counter<'queue' | 'task' | 'outcome'>): void {
    for (const [queue, tasks] of this.byQueue) {
      for (const [task, counts] of tasks) {
        if (counts.started > 0) started.inc({ queue, task }, counts.started);
        counts.started = 0;
        for (const [outcome, n] of counts.finished) {
          if (n > 0) finished.inc({ queue, task, outcome }, n);
          counts.finished.set(outcome, 0);
        }
      }
    }
  }

  /** Sets the gauge of running attempts (at a scrape). */
  foldRunning(active: Gauge<'queue'>): void {
    for (const [queue, n] of this.running) active.set({ queue }, n);
  }
}
