import { columnNameSchema, MAX_COLUMNS } from '@conveyor/contracts';
import { DatasetFormatError } from '../errors';

/**
 * Refuses a header whose names a dataset cannot have: more than MAX_COLUMNS, an empty or
 * duplicate name, a name columnNameSchema refuses (too long, control characters).
 */
export function checkColumnNames(names: string[], line: number): void {
  if (names.length > MAX_COLUMNS) {
    throw new DatasetFormatError(
      `line ${line} names ${names.length} columns; a dataset has at most ${MAX_COLUMNS}: remove some columns and upload again`,
      400,
      line,
    );
  }
  const seen = new Set<string>();
  names.forEach((name, index) => {
    if (name === '') throw new DatasetFormatError(`line ${line}: column ${index + 1} has no name; give every column a name in the header`, 400, line);
    const parsed = columnNameSchema.safeParse(name);
    if (!parsed.success) {
      const why = parsed.error.issues.map((issue) => issue.message).join(', ');
      throw new DatasetFormatError(
        `line ${line}: the column name ${JSON.stringify(name.slice(0, 200))} is not allowed (${why}); rename it and upload again`,
        400,
        line,
      );
    }
    if (seen.has(name)) throw new DatasetFormatError(`line ${line}: two columns are named ${JSON.stringify(name)}; give each column its own name`, 400, line);
    seen.add(name);
  });
}

/** Adds a column found after the header was read (a key first seen on a later JSON line), checking it the same way. */
export function checkNewColumnName(name: string, known: ReadonlySet<string> | ReadonlyMap<string, unknown>, line: number): void {
  if (known.size >= MAX_COLUMNS) {
    throw new DatasetFormatError(`line ${line} brings the dataset to more than ${MAX_COLUMNS} columns (keys); a dataset has at most ${MAX_COLUMNS}`, 400, line);
  }
  checkColumnNames([name], line);
}
