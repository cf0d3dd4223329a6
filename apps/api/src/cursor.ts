import { decodeCursor } from '@conveyor/db';
import { HttpError } from './http-error';

/** The position a list's `cursor` names; a cursor this API did not give out is a 400. */
export function cursorOf(cursor: string | undefined): { createdAt: string; id: string } | undefined {
  if (cursor === undefined) return undefined;
  const after = decodeCursor(cursor);
  if (!after)
    throw new HttpError(
      400,
      'invalid_cursor',
      'cursor is not one this API gave out (use next_cursor from the previous page as it is); start again without it',
      [{ path: 'query.cursor', message: 'not a cursor this API gave out' }],
    );
  return after;
}
