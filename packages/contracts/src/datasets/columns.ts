import { z } from 'zod';

/**
 * The types a dataset's column can have. Uploads infer them (a CSV cell is read as the
 * narrowest type every non-empty cell of its column fits); `json` holds objects and arrays
 * of JSON Lines.
 */
export const COLUMN_TYPES = ['string', 'integer', 'number', 'boolean', 'json'] as const;
export type ColumnType = (typeof COLUMN_TYPES)[number];
export const columnTypeSchema = z.enum(COLUMN_TYPES, { error: `a column type is one of ${COLUMN_TYPES.join(', ')}` });

export const MAX_COLUMNS = 200;
export const MAX_COLUMN_NAME = 128;

/** A column's name: any text a header can hold, but not empty, not over 128 characters, no control characters. */
export const columnNameSchema = z
  .string()
  .min(1, 'a column name is not empty')
  .max(MAX_COLUMN_NAME, `a column name has at most ${MAX_COLUMN_NAME} characters`)
  // eslint-disable-next-line no-control-regex
  .regex(/^[^\u0000-\u001f\u007f]+$/, 'a column name has no control characters');

/** One column of a dataset version, as the API shows it. */
export const columnViewSchema = z.object({
  name: z.string(),
  type: columnTypeSchema,
  /** Rows whose value in this column is missing (null, or an empty CSV cell). */
  null_count: z.number().int().min(0),
});
export type ColumnView = z.infer<typeof columnViewSchema>;

/** A value of a cell as stored and shown: JSON. */
export type CellValue = string | number | boolean | null | CellValue[] | { [key: string]: CellValue };

/** Rows per stored chunk of a dataset version: every chunk holds this many but the last. */
export const CHUNK_ROWS = 1000;
