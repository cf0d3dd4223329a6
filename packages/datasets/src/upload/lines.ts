import { StringDecoder } from 'node:string_decoder';
import { DatasetFormatError } from '../errors';

/** A line of text and its number, counting from 1. */
export interface NumberedLine {
  text: string;
  line: number;
}

/**
 * The lines of a stream of UTF-8 bytes (\n or \r\n; a leading byte-order mark dropped), never
 * holding more than one line: a line over maxChars is refused.
 */
export async function* linesOf(chunks: AsyncIterable<Buffer>, maxChars: number): AsyncGenerator<NumberedLine> {
  const decoder = new StringDecoder('utf8');
  let pending = '';
  let line = 0;
  const complete = (text: string): NumberedLine => {
    line++;
    return { text: text.endsWith('\r') ? text.slice(0, -1) : text, line };
  };
  for await (const chunk of chunks) {
    pending += decoder.write(chunk);
    if (line === 0 && pending.startsWith('\ufeff')) pending = pending.slice(1);
    let start = 0;
    for (let end = pending.indexOf('\n'); end !== -1; end = pending.indexOf('\n', start)) {
      yield complete(pending.slice(start, end));
      start = end + 1;
    }
    pending = pending.slice(start);
    if (pending.length > maxChars) {
      throw new DatasetFormatError(`line ${line + 1} is over ${maxChars.toLocaleString('en-US')} characters; split it or shorten its values`, 400, line + 1);
    }
  }
  pending += decoder.end();
  if (pending.length) yield complete(pending);
}
