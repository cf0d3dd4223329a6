import { tmpdir } from 'node:os';
import type { Step } from '@conveyor/contracts';
import type { DatasetColumn } from '../rows';
import { sortRows } from '../sort/external-sort';
import { castColumn, changeCase, fillMissing, trimCells } from '../steps/cell-steps';
import { reshapeColumns } from '../steps/column-steps';
import { deduplicateRows } from '../steps/deduplicate';
import { deriveColumn } from '../steps/derive';
import { filterRows } from '../steps/filter';
import { limitRows, type LimitStop } from '../steps/limit';
import type { StepRunner } from './tracked-row';

/** Settings a run's steps share. */
export interface StepSettings {
  signal?: AbortSignal;
  tmpDir?: string;
  sortRunRows: number;
}

/**
 * The runner of one checked step, given the columns before and after it. A limit also gets
 * `stop`, which it sets when it stops reading early.
 */
export function stepRunner(step: Step, before: DatasetColumn[], after: DatasetColumn[], settings: StepSettings, stop: LimitStop): StepRunner {
  const positions = new Map(before.map((column, position) => [column.name, position]));
  const at = (name: string) => positions.get(name)!;
  switch (step.op) {
    case 'filter':
      return filterRows(step.action, step.where, positions);
    case 'drop_columns':
    case 'reorder_columns':
      return reshapeColumns(
        before,
        after,
        after.map((column) => at(column.name)),
      );
    case 'rename_columns':
      return reshapeColumns(
        before,
        after,
        before.map((_column, position) => position),
      );
    case 'cast':
      return castColumn(at(step.column), step.to);
    case 'fill_missing':
      return fillMissing(at(step.column), step.value);
    case 'trim':
      return trimCells(step.columns.map(at));
    case 'change_case':
      return changeCase(step.columns.map(at), step.case);
    case 'deduplicate':
      return deduplicateRows(step.columns.map(at));
    case 'sort':
      return sortRows(
        step.by.map((key) => ({ position: at(key.column), direction: key.direction })),
        { tmpDir: settings.tmpDir ?? tmpdir(), runRows: settings.sortRunRows, signal: settings.signal },
      );
    case 'limit':
      return limitRows(step.count, stop);
    case 'derive':
      return deriveColumn(step.function, step.args, positions, {
        replaces: positions.get(step.column),
        type: after.find((column) => column.name === step.column)!.type,
      });
  }
}
