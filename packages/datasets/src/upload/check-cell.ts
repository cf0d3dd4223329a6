import { DatasetFormatError } from '../errors';
import { MAX_CELL_CHARS } from '../limits';
import { unstorableText } from '../storable-text';

/** Refuses a cell's text longer than MAX_CELL_CHARS, or text Postgres could not store. */
export function checkCellText(text: string, column: string, line: number): void {
  if (text.length > MAX_CELL_CHARS) {
    throw new DatasetFormatError(
      `line ${line}: the value of ${JSON.stringify(column)} has ${text.length} characters; a cell holds at most ${MAX_CELL_CHARS.toLocaleString('en-US')}`,
      400,
      line,
    );
  }
  const unstorable = unstorableText(text);
  if (unstorable)
    throw new DatasetFormatError(`line ${line}: the value of ${JSON.stringify(column)} cannot be stored: ${unstorable}; remove it and upload again`, 400, line);
}
