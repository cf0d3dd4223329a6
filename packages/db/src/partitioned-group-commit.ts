import { GroupCommit, type GroupCommitOptions } from './group-commit';

export interface PartitionedGroupCommitOptions<I, R> extends GroupCommitOptions<I, R> {
  /** Items of one partition are written together; items of different partitions never share a batch. */
  partition: (item: I) => string;
}

/**
 * A GroupCommit per partition, for writes that all lock one row of their partition (a
 * tenant's budget row): each partition's items are written together, at most maxInFlight
 * statements per partition at a time, so a partition's concurrent writers wait for one
 * statement and one commit instead of queueing one by one on the row's lock; partitions
 * write in parallel, each statement on its own connection. A partition's GroupCommit exists
 * only while it has items pending or being written.
 */
export class PartitionedGroupCommit<I, R> {
  private readonly groups = new Map<string, { group: GroupCommit<I, R>; open: number }>();

  constructor(private readonly options: PartitionedGroupCommitOptions<I, R>) {}

  /** Resolves with the item's result once the statement that wrote it has committed. */
  async submit(item: I): Promise<R> {
    const partition = this.options.partition(item);
    let entry = this.groups.get(partition);
    if (!entry) {
      entry = { group: new GroupCommit(this.options), open: 0 };
      this.groups.set(partition, entry);
    }
    entry.open += 1;
    try {
      return await entry.group.submit(item);
    } finally {
      entry.open -= 1;
      if (entry.open === 0 && this.groups.get(partition) === entry) this.groups.delete(partition);
    }
  }

  /** Partitions with items pending or being written. */
  get partitions(): number {
    return this.groups.size;
  }
}
