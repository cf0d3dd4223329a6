import { isUtf8 } from 'node:buffer';
import express, { type Request, type RequestHandler } from 'express';

/** The deepest nesting of arrays and objects a request body may have. */
const MAX_JSON_DEPTH = 64;

const OPEN_BRACE = 0x7b;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACE = 0x7d;
const CLOSE_BRACKET = 0x5d;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;

/** A body refused before it is parsed; body-parser passes status and type on to the error handler. */
class UnreadableBody extends Error {
  constructor(
    readonly status: number,
    readonly type: string,
    message: string,
  ) {
    super(message);
  }
}

/**
 * The deepest nesting of the JSON text, or maxDepth + 1 as soon as it goes deeper: a scan of
 * the raw bytes (brackets outside strings), so nothing recursive ever sees a hostile body.
 * Strings are skipped with indexOf, so the JavaScript loop runs over the structure only.
 */
export function jsonDepth(bytes: Buffer, maxDepth: number): number {
  let depth = 0;
  let deepest = 0;
  for (let i = 0; i < bytes.length; i += 1) {
    const byte = bytes[i]!;
    if (byte === QUOTE) {
      i = endOfString(bytes, i);
    } else if (byte === OPEN_BRACE || byte === OPEN_BRACKET) {
      depth += 1;
      if (depth > deepest) {
        deepest = depth;
        if (deepest > maxDepth) return deepest;
      }
    } else if (byte === CLOSE_BRACE || byte === CLOSE_BRACKET) {
      depth -= 1;
    }
  }
  return deepest;
}

/** The index of the quote that closes the string opened at `start` (or the end of the bytes). */
function endOfString(bytes: Buffer, start: number): number {
  let quote = bytes.indexOf(QUOTE, start + 1);
  while (quote !== -1) {
    let backslashes = 0;
    while (bytes[quote - 1 - backslashes] === BACKSLASH) backslashes += 1;
    if (backslashes % 2 === 0) return quote;
    quote = bytes.indexOf(QUOTE, quote + 1);
  }
  return bytes.length;
}

/** Refuses, before parsing, a body that is not UTF-8 or nests deeper than MAX_JSON_DEPTH. */
function checkRawBody(_req: Request, _res: unknown, body: Buffer, encoding: string): void {
  if (encoding !== 'utf-8') throw new UnreadableBody(415, 'charset.unsupported', 'Send the body as UTF-8 JSON');
  if (!isUtf8(body)) throw new UnreadableBody(400, 'entity.invalid.utf8', 'Request body is not valid UTF-8; send the JSON encoded as UTF-8');
  if (jsonDepth(body, MAX_JSON_DEPTH) > MAX_JSON_DEPTH) {
    throw new UnreadableBody(400, 'entity.too.deep', `Request body nests arrays or objects deeper than ${MAX_JSON_DEPTH} levels; flatten it`);
  }
}

/**
 * express.json with the checks every JSON body of the API gets before JSON.parse: UTF-8 only
 * (a broken byte is refused, not stored as U+FFFD) and a nesting limit.
 */
export function jsonBody(limitBytes: number): RequestHandler {
  return express.json({ limit: limitBytes, verify: checkRawBody });
}
