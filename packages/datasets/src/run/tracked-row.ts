import type { Row } from '../rows';

/**
 * A row on its way through a program: its cells (never modified in place: a step that changes
 * a cell makes a new array), and whether a step has changed it, for rowsAffected.
 */
export interface TrackedRow {
  cells: Row;
  changed: boolean;
}

/** What one step did. */
export interface StepSummary {
  op: string;
  /** Rows that reached the step (for a limit that stopped reading early, the rows never read too, when the input's count is known). */
  rowsIn: number;
  rowsOut: number;
  /** Rows the step changed and kept: a cell's value changed, every row when the set or order of columns changed, for sort the rows that moved. */
  changed: number;
  /** Cells the step changed (fill_missing, trim, change_case, cast, derive). */
  valuesChanged: number;
  /** For cast: values that could not be read as the new type and became null. */
  unreadable: number;
  /**
   * Whether the counts cover every row of the input: not for the steps before a limit that
   * stopped reading early, nor for that limit when the input's row count was not given.
   */
  complete: boolean;
}

/** A step's counters, zero to begin with. */
export function newStepSummary(op: string): StepSummary {
  return { op, rowsIn: 0, rowsOut: 0, changed: 0, valuesChanged: 0, unreadable: 0, complete: true };
}

/** One step of a running program: it reads the chunks before it and yields its own, counting into stats. */
export type StepRunner = (input: AsyncIterable<TrackedRow[]>, stats: StepSummary) => AsyncGenerator<TrackedRow[]>;
