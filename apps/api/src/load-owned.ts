import type { Response, Request } from 'express';
import type { z } from 'zod';
import { HttpError } from './http-error';
import { tenantOf } from './middleware/authenticate';

/** What a route needs to load the caller's object named by :id. */
export interface Owned<T> {
  /** The object's name in messages and error codes ("task", "post", "X account"). */
  what: string;
  idSchema: z.ZodType<string>;
  find: (id: string, tenantId: string) => Promise<T | undefined>;
}

const codeOf = (what: string) => what.toLowerCase().replace(/\s+/g, '_');

/**
 * The caller's object named by :id: 400 for a malformed id, 404 for a missing one. Another
 * tenant's object and a missing one look the same: 404, never 403 (invariant 9).
 */
export async function loadOwned<T>(req: Request, res: Response, owned: Owned<T>): Promise<T> {
  const id = owned.idSchema.safeParse(req.params.id);
  if (!id.success) throw new HttpError(400, `invalid_${codeOf(owned.what)}_id`, `"${String(req.params.id).slice(0, 64)}" is not a ${owned.what} id (a UUID)`);
  const row = await owned.find(id.data, tenantOf(res));
  if (!row) throw new HttpError(404, `${codeOf(owned.what)}_not_found`, `No ${owned.what} ${id.data}`);
  return row;
}
