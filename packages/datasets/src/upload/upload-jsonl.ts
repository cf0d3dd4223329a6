import type { Readable } from 'node:stream';
import { MAX_COLUMNS, type CellValue } from '@conveyor/contracts';
import { DatasetFormatError } from '../errors';
import { MAX_CELL_CHARS } from '../limits';
import type { Row } from '../rows';
import { unstorableText } from '../storable-text';
import { ColumnTypeTally } from '../type-inference';
import { checkCellText } from './check-cell';
import { checkNewColumnName } from './column-names';
import { countBytes } from './count-bytes';
import { inChunks } from './in-chunks';
import { linesOf } from './lines';
import { finishedSummary, type UploadReader, type UploadSummary } from './upload-reader';

// A line holds at most one object, whose values are each at most MAX_CELL_CHARS of JSON.
const MAX_LINE_CHARS = MAX_COLUMNS * (MAX_CELL_CHARS + 200);

function parseObject(text: string, line: number): Record<string, CellValue> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new DatasetFormatError(
      `line ${line} is not valid JSON (${(error as Error).message}); each line of a JSON Lines file is one object, like {"id": 1}`,
      400,
      line,
    );
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    const found = value === null ? 'null' : Array.isArray(value) ? 'an array' : `a ${typeof value}`;
    throw new DatasetFormatError(`line ${line} is ${found}, not a JSON object; each line of a JSON Lines file is one object, like {"id": 1}`, 400, line);
  }
  return value as Record<string, CellValue>;
}

/** Refuses an object or array value Postgres could not store or longer than a cell may be (its JSON text). */
function checkJsonValue(value: CellValue, column: string, line: number): void {
  const text = JSON.stringify(value);
  if (text.length > MAX_CELL_CHARS) checkCellText(text, column, line);
  // JSON.stringify writes NUL as \u0000 and lone surrogates as \udxxx: look for them in the values and keys themselves.
  const stack: CellValue[] = [value];
  while (stack.length) {
    const item = stack.pop()!;
    if (typeof item === 'string') checkCellText(item, column, line);
    else if (Array.isArray(item)) stack.push(...item);
    else if (item && typeof item === 'object') {
      for (const [key, child] of Object.entries(item)) {
        if (unstorableText(key)) checkCellText(key, column, line);
        stack.push(child);
      }
    }
  }
}

/** Reads a JSON Lines upload; see readUpload. */
export function readJsonl(body: Readable, maxBytes: number): UploadReader {
  const count = { bytes: 0 };
  let summary: UploadSummary | undefined;

  async function* rows(): AsyncGenerator<Row> {
    const columns = new Map<string, number>();
    const tally = new ColumnTypeTally();
    let rowCount = 0;
    for await (const { text, line } of linesOf(countBytes(body, maxBytes, count), MAX_LINE_CHARS)) {
      if (text.trim() === '') continue;
      const object = parseObject(text, line);
      const row: Row = new Array(columns.size).fill(null);
      for (const [name, value] of Object.entries(object)) {
        let column = columns.get(name);
        if (column === undefined) {
          checkNewColumnName(name, columns, line);
          column = columns.size;
          columns.set(name, column);
        }
        if (typeof value === 'string') checkCellText(value, name, line);
        else if (value !== null && typeof value === 'object') checkJsonValue(value, name, line);
        tally.observeValue(column, value);
        row[column] = value;
      }
      rowCount++;
      yield row;
    }
    if (!columns.size) {
      throw new DatasetFormatError(
        rowCount
          ? 'every line is an empty object: a dataset needs at least one column'
          : 'the file is empty: a JSON Lines upload has one JSON object per line, like {"id": 1}',
      );
    }
    summary = { columns: [...columns.keys()].map((name, column) => ({ name, type: tally.typeOf(column) })), rowCount, bytes: count.bytes };
  }

  return { chunks: inChunks(rows()), summary: () => finishedSummary(summary) };
}
