import { programSchema, type Program } from '@conveyor/contracts';
import type { DatasetColumn } from '../rows';
import { stepColumns } from './step-columns';

/** A program fit to run: as programSchema reads it (defaults filled in), and the columns after each step. */
export interface PlannedProgram {
  ok: true;
  program: Program;
  /** columnsAfter[i]: the columns step i leaves; the last is the output's. */
  columnsAfter: DatasetColumn[][];
}

/** Why a program cannot run, each problem naming its step and what to do. */
export interface ProgramProblems {
  ok: false;
  problems: string[];
}

/** Reads a program with programSchema again (it may not have come through it) and walks its steps over the columns. */
export function planProgram(program: unknown, columns: DatasetColumn[]): PlannedProgram | ProgramProblems {
  const parsed = programSchema.safeParse(program);
  if (!parsed.success) {
    return {
      ok: false,
      problems: parsed.error.issues.map(
        (issue) => `the program is not in the transformation language: ${issue.path.length ? `${issue.path.join('.')}: ` : ''}${issue.message}`,
      ),
    };
  }
  const problems: string[] = [];
  const columnsAfter: DatasetColumn[][] = [];
  let current = columns;
  parsed.data.steps.forEach((step, index) => {
    const checked = stepColumns(step, current);
    problems.push(...checked.problems.map((problem) => `step ${index + 1} (${step.op}): ${problem}`));
    current = checked.columns;
    columnsAfter.push(current);
  });
  return problems.length ? { ok: false, problems } : { ok: true, program: parsed.data, columnsAfter };
}

/**
 * Checks a program against a dataset's columns, walking its steps with the columns as they
 * change (rename, drop, reorder, cast and derive change them): every column it names must exist
 * when its step runs, every constant must fit its column's type, every derive function its
 * arguments. Returns the output's columns, or every problem, like
 * `step 1 (filter): there is no column "emial"; the columns are id, name, email`.
 */
export function checkProgram(program: Program, columns: DatasetColumn[]): { ok: true; columns: DatasetColumn[] } | { ok: false; problems: string[] } {
  const planned = planProgram(program, columns);
  return planned.ok ? { ok: true, columns: planned.columnsAfter.at(-1)! } : planned;
}
