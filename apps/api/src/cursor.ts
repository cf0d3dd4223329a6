import { decodeCursor, decodeRecordCursor, decodeSequenceCursor } from '@conveyor/db';
import { HttpError } from './http-error';

const invalidCursor = () =>
  new HttpError(400, 'invalid_cursor', 'cursor is not one this API gave out (use next_cursor from the previous page as it is); start again without it', [
    { path: 'query.cursor', message: 'not a cursor this API gave out' },
  ]);

/** The position a list's `cursor` names; a cursor this API did not give out is a 400. */
export function cursorOf(cursor: string | undefined): { createdAt: string; id: string } | undefined {
  if (cursor === undefined) return undefined;
  const after = decodeCursor(cursor);
  if (!after) throw invalidCursor();
  return after;
}

/**
 * Lists ordered by a name (schedules, X accounts by handle) page by it: the cursor is the last
 * name shown, opaque to clients like every other cursor.
 */
export const encodeNameCursor = (name: string) => Buffer.from(name, 'utf8').toString('base64url');

/** The name a name cursor carries; anything this API did not give out is a 400. */
export function nameCursorOf(cursor: string | undefined): string | undefined {
  if (cursor === undefined) return undefined;
  const name = Buffer.from(cursor, 'base64url').toString('utf8');
  if (!name || name.length > 200 || encodeNameCursor(name) !== cursor) throw invalidCursor();
  return name;
}

/** The position an ingestion records listing's `cursor` names (a date and an external id); anything else is a 400. */
export function recordCursorOf(cursor: string | undefined): { occurredOn: string | null; externalId: string } | undefined {
  if (cursor === undefined) return undefined;
  const after = decodeRecordCursor(cursor);
  if (!after) throw invalidCursor();
  return after;
}

/** The message id a chat listing's `cursor` names; anything this API did not give out is a 400. */
export function sequenceCursorOf(cursor: string | undefined): string | undefined {
  if (cursor === undefined) return undefined;
  const after = decodeSequenceCursor(cursor);
  if (after === undefined) throw invalidCursor();
  return after;
}
