import type { ColumnType } from '@conveyor/contracts';
import type { DatasetColumn } from '../rows';

const LISTED_NAMES = 40;

/**
 * The columns a step sees, found by name through a Map (a column may be called "__proto__"),
 * with the wording of a problem that names a missing one.
 */
export class ColumnsInScope {
  private readonly positions: Map<string, number>;

  constructor(readonly columns: DatasetColumn[]) {
    this.positions = new Map(columns.map((column, position) => [column.name, position]));
  }

  /** The position of a column, or undefined. */
  positionOf(name: string): number | undefined {
    return this.positions.get(name);
  }

  /** The type of a column, or undefined when there is none by that name. */
  typeOf(name: string): ColumnType | undefined {
    const position = this.positions.get(name);
    return position === undefined ? undefined : this.columns[position]!.type;
  }

  /** Whether a column has this name. */
  has(name: string): boolean {
    return this.positions.has(name);
  }

  /** `there is no column "emial"; the columns are id, name, email` */
  missing(name: string): string {
    const names = this.columns.map((column) => column.name);
    const listed = names.length > LISTED_NAMES ? `${names.slice(0, LISTED_NAMES).join(', ')}, … (${names.length} in all)` : names.join(', ');
    return `there is no column ${JSON.stringify(name)}; the columns are ${listed}`;
  }
}

/** `a duplicate column "x" in columns: name each column once` problems for a list of names. */
export function duplicateNames(names: string[], field: string): string[] {
  const seen = new Set<string>();
  const problems: string[] = [];
  for (const name of names) {
    if (seen.has(name)) problems.push(`${JSON.stringify(name)} appears twice in ${field}; name each column once`);
    seen.add(name);
  }
  return problems;
}
