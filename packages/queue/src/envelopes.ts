import { createHash } from 'node:crypto';

/** Task ids per envelope unless the producer is told otherwise. */
export const DEFAULT_ENVELOPE_SIZE = 50;

/**
 * The job id of an envelope: a digest of its task ids in order, so enqueueing the same tasks
 * together again adds nothing (BullMQ ignores an add whose job id it holds), as a task's own
 * job id does for one task. Never a task id, so an envelope never stands for a task's own job.
 */
export function envelopeJobId(taskIds: readonly string[]): string {
  return `envelope-${createHash('sha256').update(taskIds.join(',')).digest('hex').slice(0, 32)}`;
}

/** Splits items into runs of at most size, in order. */
export function chunk<T>(items: readonly T[], size: number): T[][] {
  const chunks: T[][] = [];
  for (let i = 0; i < items.length; i += size) chunks.push(items.slice(i, i + size));
  return chunks;
}
