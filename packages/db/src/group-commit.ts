import { isDatabaseUnavailable } from './unavailable';

export interface GroupCommitOptions<I, R> {
  /** Writes a batch in one statement (one commit); returns one result per item, in order. */
  write: (items: I[]) => Promise<R[]>;
  /**
   * Items with the same key never share a batch: a repeat waits for the next flush, so two
   * writes to one row keep their order and each sees its own result.
   */
  key?: (item: I) => string;
  /** Most items in one statement. */
  maxBatch?: number;
  /** Most statements running at once (each on its own connection). */
  maxInFlight?: number;
  /** Called after every flush with its size and duration in milliseconds (for metrics). */
  onFlush?: (size: number, ms: number) => void;
  /**
   * Whether an error means the store is unreachable (every item fails; the callers retry or
   * answer 503) rather than that an item was bad. Postgres' outages by default.
   */
  isOutage?: (error: unknown) => boolean;
}

interface Pending<I, R> {
  item: I;
  resolve: (result: R) => void;
  reject: (error: unknown) => void;
}

/**
 * Group commit: concurrent writers each submit an item and wait for its result; the items
 * are written together, one statement and one commit per flush, instead of a commit each.
 * Up to maxInFlight flushes run at a time. The first item is flushed on the next turn of the
 * event loop, so a lone write waits for nothing; items that arrive while the flushes run go in
 * the next one, so batches grow with the load. Every caller is answered only after its batch
 * has committed.
 *
 * A batch that fails because its store is unavailable fails every item (callers retry). A
 * batch that fails for any other reason is written again item by item, so one bad item (a
 * value Postgres rejects) fails alone instead of failing its neighbours.
 */
export class GroupCommit<I, R> {
  private pending: Pending<I, R>[] = [];
  private inFlight = 0;
  /** Keys of the items in batches being written now. */
  private readonly busyKeys = new Set<string>();
  private scheduled = false;
  private readonly maxBatch: number;
  private readonly maxInFlight: number;

  constructor(private readonly options: GroupCommitOptions<I, R>) {
    this.maxBatch = options.maxBatch ?? 500;
    this.maxInFlight = options.maxInFlight ?? 1;
  }

  /** Resolves with the item's result once the statement that wrote it has committed. */
  submit(item: I): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.pending.push({ item, resolve, reject });
      this.schedule();
    });
  }

  /** Items waiting for a flush (not counting the one being written). */
  get backlog(): number {
    return this.pending.length;
  }

  private schedule(): void {
    if (this.inFlight >= this.maxInFlight || this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      void this.flush();
    });
  }

  private takeBatch(): Pending<I, R>[] {
    const { key } = this.options;
    if (!key) return this.pending.splice(0, this.maxBatch);
    const batch: Pending<I, R>[] = [];
    const rest: Pending<I, R>[] = [];
    for (const entry of this.pending) {
      const k = key(entry.item);
      // A key already being written (in this batch or one in flight) waits for a later flush.
      if (batch.length < this.maxBatch && !this.busyKeys.has(k)) {
        this.busyKeys.add(k);
        batch.push(entry);
      } else {
        rest.push(entry);
      }
    }
    this.pending = rest;
    return batch;
  }

  private async flush(): Promise<void> {
    if (this.inFlight >= this.maxInFlight || this.pending.length === 0) return;
    this.inFlight += 1;
    const batch = this.takeBatch();
    if (batch.length === 0) {
      // Everything pending waits for a key in flight; that flush's end schedules the next.
      this.inFlight -= 1;
      return;
    }
    const started = performance.now();
    try {
      await this.writeBatch(batch);
    } finally {
      this.options.onFlush?.(batch.length, performance.now() - started);
      const { key } = this.options;
      if (key) for (const p of batch) this.busyKeys.delete(key(p.item));
      this.inFlight -= 1;
      if (this.pending.length > 0) this.schedule();
    }
  }

  private async writeBatch(batch: Pending<I, R>[]): Promise<void> {
    let results: R[];
    try {
      results = await this.options.write(batch.map((p) => p.item));
    } catch (error) {
      if (batch.length === 1 || (this.options.isOutage ?? isDatabaseUnavailable)(error)) {
        for (const p of batch) p.reject(error);
        return;
      }
      for (const p of batch) {
        try {
          const [result] = await this.options.write([p.item]);
          p.resolve(result as R);
        } catch (itemError) {
          p.reject(itemError);
        }
      }
      return;
    }
    batch.forEach((p, i) => p.resolve(results[i] as R));
  }
}
