import type { Scalar, Step } from '@conveyor/contracts';
import type { DatasetColumn } from '../rows';
import { checkCondition } from './check-condition';
import { checkDerive } from './check-derive';
import { ColumnsInScope, duplicateNames } from './columns-in-scope';
import { scalarType, wantedValue } from './value-types';

/** A step's problems and the columns it leaves (its input's columns when it has problems it cannot go past). */
export interface StepColumns {
  columns: DatasetColumn[];
  problems: string[];
}

function missingOf(names: string[], scope: ColumnsInScope): string[] {
  return names.filter((name) => !scope.has(name)).map((name) => scope.missing(name));
}

/** Problems of a list of existing, distinct column names. */
function listProblems(names: string[], scope: ColumnsInScope, field: string): string[] {
  return [...missingOf(names, scope), ...duplicateNames(names, field)];
}

function textColumnProblems(names: string[], scope: ColumnsInScope, op: string): string[] {
  return names
    .filter((name) => scope.has(name) && scope.typeOf(name) !== 'string')
    .map(
      (name) =>
        `${op} works on text, and ${JSON.stringify(name)} is ${scope.typeOf(name) === 'integer' ? 'an' : 'a'} ${scope.typeOf(name)} column; cast it to string first`,
    );
}

function fillProblems(column: string, value: Scalar, scope: ColumnsInScope): string[] {
  const type = scope.typeOf(column);
  if (type === undefined) return [scope.missing(column)];
  const valueType = scalarType(value);
  const fits = type === 'json' || type === valueType || (type === 'number' && valueType === 'integer');
  return fits
    ? []
    : [
        `${JSON.stringify(column)} is ${type === 'integer' ? 'an' : 'a'} ${type} column: fill it with ${type === 'integer' ? 'a whole number' : wantedValue(type)}, not ${JSON.stringify(value)}`,
      ];
}

function dropColumns(names: string[], scope: ColumnsInScope): StepColumns {
  const problems = listProblems(names, scope, 'columns');
  const dropped = new Set(names);
  const columns = scope.columns.filter((column) => !dropped.has(column.name));
  if (!problems.length && !columns.length) problems.push('this would drop every column; a dataset keeps at least one');
  return { columns: problems.length ? scope.columns : columns, problems };
}

function renameColumns(renames: { from: string; to: string }[], scope: ColumnsInScope): StepColumns {
  const problems = [
    ...listProblems(
      renames.map((rename) => rename.from),
      scope,
      'the names renamed',
    ),
    ...duplicateNames(
      renames.map((rename) => rename.to),
      'the new names',
    ),
  ];
  const newName = new Map(renames.map((rename) => [rename.from, rename.to]));
  const columns = scope.columns.map((column) => ({ ...column, name: newName.get(column.name) ?? column.name }));
  for (const rename of renames) {
    const taken = rename.from !== rename.to && scope.has(rename.to) && !newName.has(rename.to);
    if (taken)
      problems.push(
        `there is already a column ${JSON.stringify(rename.to)}; rename ${JSON.stringify(rename.from)} to a name no other column has (or drop ${JSON.stringify(rename.to)} first)`,
      );
  }
  return { columns: problems.length ? scope.columns : columns, problems };
}

function reorderColumns(names: string[], scope: ColumnsInScope): StepColumns {
  const problems = listProblems(names, scope, 'columns');
  if (problems.length) return { columns: scope.columns, problems };
  const first = names.map((name) => scope.columns[scope.positionOf(name)!]!);
  const moved = new Set(names);
  return { columns: [...first, ...scope.columns.filter((column) => !moved.has(column.name))], problems };
}

/**
 * Checks one step against the columns it runs on, and says which columns it leaves: rename,
 * drop, reorder, cast and derive change them; the other steps keep them as they are.
 */
export function stepColumns(step: Step, columns: DatasetColumn[]): StepColumns {
  const scope = new ColumnsInScope(columns);
  const same = (problems: string[]): StepColumns => ({ columns, problems });
  switch (step.op) {
    case 'filter':
      return same(checkCondition(step.where, scope));
    case 'drop_columns':
      return dropColumns(step.columns, scope);
    case 'rename_columns':
      return renameColumns(step.renames, scope);
    case 'reorder_columns':
      return reorderColumns(step.columns, scope);
    case 'cast': {
      const position = scope.positionOf(step.column);
      if (position === undefined) return same([scope.missing(step.column)]);
      return { columns: columns.map((column, index) => (index === position ? { name: column.name, type: step.to } : column)), problems: [] };
    }
    case 'fill_missing':
      return same(fillProblems(step.column, step.value, scope));
    case 'trim':
      return same([...listProblems(step.columns, scope, 'columns'), ...textColumnProblems(step.columns, scope, 'trim')]);
    case 'change_case':
      return same([...listProblems(step.columns, scope, 'columns'), ...textColumnProblems(step.columns, scope, 'change_case')]);
    case 'deduplicate':
      return same(listProblems(step.columns, scope, 'columns'));
    case 'sort': {
      const names = step.by.map((key) => key.column);
      const json = names.filter((name) => scope.typeOf(name) === 'json').map((name) => `${JSON.stringify(name)} is a json column, which cannot be sorted`);
      return same([...listProblems(names, scope, 'by'), ...json]);
    }
    case 'limit':
      return same([]);
    case 'derive': {
      const { type, problems } = checkDerive(step, scope);
      if (!type) return same(problems);
      const position = scope.positionOf(step.column);
      const derived = { name: step.column, type };
      return { columns: position === undefined ? [...columns, derived] : columns.map((column, index) => (index === position ? derived : column)), problems };
    }
  }
}
