import type { Condition } from '@conveyor/contracts';
import { compileCondition } from '../conditions';
import type { StepRunner, TrackedRow } from '../run/tracked-row';

/** Keeps (or removes) the rows that match a condition. */
export function filterRows(action: 'keep' | 'remove', where: Condition, positions: ReadonlyMap<string, number>): StepRunner {
  const matches = compileCondition(where, positions);
  const keep = action === 'keep';
  return async function* (input, stats) {
    for await (const chunk of input) {
      stats.rowsIn += chunk.length;
      const kept: TrackedRow[] = chunk.filter((row) => matches(row.cells) === keep);
      stats.rowsOut += kept.length;
      if (kept.length) yield kept;
    }
  };
}
