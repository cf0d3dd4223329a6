import { sql } from 'kysely';

// The keyset cursor of every newest-first listing (tasks, posts, dead letters): the last row's
// (time, id), by default (created_at, id).

// Postgres keeps microseconds and a JS Date only milliseconds, so the cursor carries the
// timestamp as Postgres prints it; comparing with a truncated one would skip or repeat rows.

/** A time column as the cursor carries it; select it beside the row (as `cursor_at`) to build the next cursor. */
export const cursorText = (column: string) => sql<string>`to_char(${sql.ref(column)} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;
export const createdAtText = cursorText('created_at');
const CURSOR = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})\.\d{6}Z\|([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/;

/** True when the fields name a real UTC time (no 30 February, no hour 25, no year 0). */
function isRealTime(fields: string[]): boolean {
  const [year, month, day, hour, minute, second] = fields.map(Number) as [number, number, number, number, number, number];
  const date = new Date(0);
  date.setUTCFullYear(year, month - 1, day);
  date.setUTCHours(hour, minute, second);
  return (
    year >= 1 &&
    date.getUTCFullYear() === year &&
    date.getUTCMonth() === month - 1 &&
    date.getUTCDate() === day &&
    date.getUTCHours() === hour &&
    date.getUTCMinutes() === minute &&
    date.getUTCSeconds() === second
  );
}

/** An opaque position in a newest-first listing: the last row's (created_at, id). */
export function encodeCursor(createdAt: string, id: string): string {
  return Buffer.from(`${createdAt}|${id}`).toString('base64url');
}

/**
 * The position a cursor names, or undefined when it is not one of ours: only a real time and
 * a UUID pass, so whatever decodes is a position Postgres takes (a forged one is a 400, not
 * a failed cast).
 */
export function decodeCursor(cursor: string): { createdAt: string; id: string } | undefined {
  const text = Buffer.from(cursor, 'base64url').toString('utf8');
  const match = CURSOR.exec(text);
  if (!match || !isRealTime(match.slice(1, 7))) return undefined;
  const [createdAt, id] = text.split('|') as [string, string];
  return { createdAt, id };
}

// The id counted in code points (the u flag), as Postgres' length() counts it.
const RECORD_CURSOR = /^(?:(\d{4})-(\d{2})-(\d{2}))?\|([\s\S]{1,500})$/u;

/**
 * A position in a listing of ingestion records, newest date first: the last record's date
 * ('' for a record without one, which sorts after every dated one) and its external id.
 */
export function encodeRecordCursor(occurredOn: string | null, externalId: string): string {
  return Buffer.from(`${occurredOn ?? ''}|${externalId}`).toString('base64url');
}

/** The position a records cursor names, or undefined when it is not one of ours (a real date, an id of 1 to 500 characters). */
export function decodeRecordCursor(cursor: string): { occurredOn: string | null; externalId: string } | undefined {
  const text = Buffer.from(cursor, 'base64url').toString('utf8');
  const match = RECORD_CURSOR.exec(text);
  // Only the cursor this encoding gives: no other base64 spelling, no bytes that are not UTF-8.
  if (!match || Buffer.from(text).toString('base64url') !== cursor || text.includes('\0')) return undefined;
  const [, year, month, day, externalId] = match;
  if (year === undefined) return { occurredOn: null, externalId: externalId! };
  if (!isRealTime([year, month!, day!, '0', '0', '0'])) return undefined;
  return { occurredOn: `${year}-${month}-${day}`, externalId: externalId! };
}

/** The keyset condition: rows after the cursor's position, newest first. */
export const afterCursor = (after: { createdAt: string; id: string }, timeColumn = 'created_at', idColumn = 'id') =>
  sql<boolean>`(${sql.ref(timeColumn)}, ${sql.ref(idColumn)}) < (${after.createdAt}::timestamptz, ${after.id}::uuid)`;

/** The keyset condition of an oldest-first listing (a session's nodes): rows after the cursor's position. */
export const afterCursorAscending = (after: { createdAt: string; id: string }, timeColumn = 'created_at', idColumn = 'id') =>
  sql<boolean>`(${sql.ref(timeColumn)}, ${sql.ref(idColumn)}) > (${after.createdAt}::timestamptz, ${after.id}::uuid)`;

// A bigserial id (chat messages): 1 to 2^63 - 1, written without leading zeros.
const SEQUENCE_CURSOR = /^[1-9][0-9]{0,18}$/;
const MAX_BIGINT = 9_223_372_036_854_775_807n;

/** An opaque position in a listing ordered by a bigserial id (a chat, oldest first): the last row's id. */
export function encodeSequenceCursor(id: string): string {
  return Buffer.from(id).toString('base64url');
}

/** The id a sequence cursor carries, or undefined when it is not one of ours (a positive bigint, as encodeSequenceCursor wrote it). */
export function decodeSequenceCursor(cursor: string): string | undefined {
  const text = Buffer.from(cursor, 'base64url').toString('utf8');
  if (!SEQUENCE_CURSOR.test(text) || encodeSequenceCursor(text) !== cursor || BigInt(text) > MAX_BIGINT) return undefined;
  return text;
}

/**
 * A page from rows read with `limit + 1` (the extra row only says that a next page exists):
 * at most `limit` rows without their `cursor_at`, and the cursor of the next page if there is one.
 */
export function pageOf<R extends { cursor_at: string }>(rows: R[], limit: number, idOf: (row: R) => string): { rows: Omit<R, 'cursor_at'>[]; next?: string } {
  const last = rows[limit - 1];
  return {
    rows: rows.slice(0, limit).map(({ cursor_at: _c, ...row }) => row),
    next: rows.length > limit && last ? encodeCursor(last.cursor_at, idOf(last)) : undefined,
  };
}
