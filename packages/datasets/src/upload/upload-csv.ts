import { pipeline, Readable } from 'node:stream';
import { CsvError, parse, type Options } from 'csv-parse';
import { MAX_COLUMNS } from '@conveyor/contracts';
import { DatasetFormatError } from '../errors';
import { MAX_CELL_CHARS } from '../limits';
import type { Row } from '../rows';
import { ColumnTypeTally } from '../type-inference';
import { checkCellText } from './check-cell';
import { checkColumnNames } from './column-names';
import { countBytes } from './count-bytes';
import { inChunks } from './in-chunks';
import { finishedSummary, type UploadReader, type UploadSummary } from './upload-reader';

/** A parsed CSV record with the line it starts on (a quoted value may span lines). */
interface CsvRecord {
  cells: string[];
  line: number;
}

// Any row longer than this has a cell over MAX_CELL_CHARS or too many columns (or a quote never closed).
const MAX_RECORD_CHARS = MAX_COLUMNS * MAX_CELL_CHARS;

/** Where the parser is, kept in step with it (its records reach us later, through a buffer). */
interface ParserPosition {
  lastLine: number;
  lastEmptyLines: number;
}

function nextRecordLine(position: ParserPosition, emptyLines: number): number {
  return position.lastLine + 1 + (emptyLines - position.lastEmptyLines);
}

function csvParser(position: ParserPosition) {
  const options: Options<CsvRecord, string[]> = {
    bom: true,
    relax_column_count: true,
    relax_quotes: true,
    skip_empty_lines: true,
    max_record_size: MAX_RECORD_CHARS,
    on_record: (cells: string[], context): CsvRecord => {
      const line = nextRecordLine(position, context.empty_lines);
      position.lastLine = context.lines;
      position.lastEmptyLines = context.empty_lines;
      return { cells, line };
    },
  };
  // The records come out as on_record makes them; parse's overloads only know string[].
  return parse(options as unknown as Options);
}

/** The parser's error as one a person can act on. */
function readableError(error: unknown, position: ParserPosition, emptyLines: number): unknown {
  if (!(error instanceof CsvError)) return error;
  const line = nextRecordLine(position, emptyLines);
  if (error.code === 'CSV_QUOTE_NOT_CLOSED') {
    return new DatasetFormatError(`line ${line}: a quoted value is never closed; end it with a " (write a quote inside a quoted value as "")`, 400, line);
  }
  if (error.code === 'CSV_MAX_RECORD_SIZE') {
    return new DatasetFormatError(
      `line ${line}: a value is over ${MAX_CELL_CHARS.toLocaleString('en-US')} characters, or a quoted value is never closed; shorten it or close the quote`,
      400,
      line,
    );
  }
  return new DatasetFormatError(`line ${line}: the CSV cannot be read (${error.message})`, 400, line);
}

/** Reads a CSV upload; see readUpload. */
export function readCsv(body: Readable, maxBytes: number): UploadReader {
  const count = { bytes: 0 };
  let summary: UploadSummary | undefined;

  async function* rows(): AsyncGenerator<Row> {
    const position: ParserPosition = { lastLine: 0, lastEmptyLines: 0 };
    const source = Readable.from(countBytes(body, maxBytes, count));
    const parser = csvParser(position);
    pipeline(source, parser, () => {});
    const tally = new ColumnTypeTally();
    let names: string[] | undefined;
    let rowCount = 0;
    try {
      for await (const { cells, line } of parser as AsyncIterable<CsvRecord>) {
        if (!names) {
          names = cells.map((cell) => cell.trim());
          checkColumnNames(names, line);
          continue;
        }
        if (cells.length > names.length) {
          throw new DatasetFormatError(
            `line ${line} has ${cells.length} values but the header names ${names.length} columns; remove the extra values or name them in the header`,
            400,
            line,
          );
        }
        const row: Row = new Array(names.length).fill(null);
        cells.forEach((text, column) => {
          if (text === '') return;
          checkCellText(text, names![column]!, line);
          tally.observeText(column, text);
          row[column] = text;
        });
        rowCount++;
        yield row;
      }
    } catch (error) {
      throw readableError(error, position, parser.info.empty_lines);
    } finally {
      parser.destroy();
    }
    if (!names) throw new DatasetFormatError('the file is empty: a CSV upload starts with a header row naming its columns (e.g. id,name,email)');
    const header = names;
    summary = { columns: header.map((name, column) => ({ name, type: tally.typeOf(column) })), rowCount, bytes: count.bytes };
  }

  return { chunks: inChunks(rows()), summary: () => finishedSummary(summary) };
}
