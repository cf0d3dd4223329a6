import { CHUNK_ROWS, type Program } from '@conveyor/contracts';
import { describeTransformation } from './describe/describe';
import { ProgramError } from './errors';
import { planProgram } from './program/check-program';
import type { DatasetColumn, Row } from './rows';
import { outputChunks, readInput, type InputProgress } from './run/input-source';
import { stepRunner } from './run/step-runner';
import { newStepSummary, type StepSummary, type TrackedRow } from './run/tracked-row';
import type { LimitStop } from './steps/limit';

/** What a program did, known once its output is read to the end. */
export interface TransformSummary {
  rowsIn: number;
  rowsOut: number;
  /** Rows the program removed, plus the rows it kept that a step changed. */
  rowsAffected: number;
  /** What it did, as a sentence ("Dropped 150 rows where email was null"). */
  transformation: string;
  steps: StepSummary[];
}

/** A program running over a dataset: the output's columns, its rows in chunks of CHUNK_ROWS, and its summary once they are read. */
export interface TransformRun {
  columns: DatasetColumn[];
  chunks: AsyncGenerator<Row[]>;
  summary(): TransformSummary;
}

/** How a run reads and where it may write. */
export interface TransformOptions {
  /** Checked between chunks: an aborted run throws the signal's reason (and removes its temp files). */
  signal?: AbortSignal;
  /** Where a sort writes its runs (a temp directory of its own inside); os.tmpdir() by default. */
  tmpDir?: string;
  /** Rows a sort holds in memory at a time; 50,000 by default. */
  sortRunRows?: number;
  /** Told the rows read from the input so far, after each chunk. */
  onRows?: (rowsRead: number) => void;
  /** The input's row count, when known: a limit that stops reading early then still counts the rows it dropped. */
  inputRows?: number;
}

const DEFAULT_SORT_RUN_ROWS = 50_000;

/**
 * Runs a program over a dataset's rows (typed, in chunks), streaming: every step reads the
 * chunks of the one before and yields its own, so memory holds a few chunks, except a sort
 * (an external merge sort, sortRunRows rows in memory) and deduplicate (a digest per distinct
 * key). A limit stops reading the input once it has its rows. The program is never evaluated:
 * each step is a fixed function of its parameters. Throws a ProgramError when checkProgram
 * finds problems.
 */
export function transformRows(program: Program, columns: DatasetColumn[], input: AsyncIterable<Row[]>, options: TransformOptions = {}): TransformRun {
  const planned = planProgram(program, columns);
  if (!planned.ok) throw new ProgramError(planned.problems);
  const { program: checked, columnsAfter } = planned;
  const steps = checked.steps;
  const settings = { signal: options.signal, tmpDir: options.tmpDir, sortRunRows: options.sortRunRows ?? DEFAULT_SORT_RUN_ROWS };
  const progress: InputProgress = { rowsRead: 0, exhausted: false };
  const stats = steps.map((step) => newStepSummary(step.op));
  const stops: LimitStop[] = steps.map(() => ({ stopped: false }));
  const counts = { changedOut: 0 };
  let summary: TransformSummary | undefined;

  let stream: AsyncIterable<TrackedRow[]> = readInput(input, progress, options.signal, options.onRows);
  steps.forEach((step, index) => {
    const before = index === 0 ? columns : columnsAfter[index - 1]!;
    stream = stepRunner(step, before, columnsAfter[index]!, settings, stops[index]!)(stream, stats[index]!);
  });

  function finish(): void {
    const stopping = progress.exhausted ? -1 : stops.findIndex((stop) => stop.stopped);
    if (stopping !== -1) {
      stats.slice(0, stopping).forEach((step) => (step.complete = false));
      if (options.inputRows === undefined) stats[stopping]!.complete = false;
      else stats[stopping]!.rowsIn += Math.max(0, options.inputRows - progress.rowsRead);
    }
    const rowsIn = stopping !== -1 && options.inputRows !== undefined ? Math.max(options.inputRows, progress.rowsRead) : progress.rowsRead;
    const rowsOut = stats.at(-1)!.rowsOut;
    summary = {
      rowsIn,
      rowsOut,
      rowsAffected: rowsIn - rowsOut + counts.changedOut,
      transformation: describeTransformation(checked, columns, stats),
      steps: stats,
    };
  }

  async function* chunks(): AsyncGenerator<Row[]> {
    yield* outputChunks(stream, CHUNK_ROWS, counts);
    finish();
  }

  return {
    columns: columnsAfter.at(-1)!,
    chunks: chunks(),
    summary: () => {
      if (!summary) throw new Error('a transformation has a summary only once its chunks have been read to the end');
      return summary;
    },
  };
}
