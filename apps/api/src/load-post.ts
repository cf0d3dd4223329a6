import { postIdSchema, xAccountIdSchema } from '@conveyor/contracts';
import { type Database, type PostRow, type XAccountRow, findPostForTenant, findXAccountForTenant } from '@conveyor/db';
import type { Request, Response } from 'express';
import type { Kysely } from 'kysely';
import { loadOwned } from './load-owned';

/** The caller's post named by :id; 400 for a malformed id, 404 for a missing or foreign one. */
export function loadPost(db: Kysely<Database>, req: Request, res: Response): Promise<PostRow> {
  return loadOwned(req, res, { what: 'post', idSchema: postIdSchema, find: (id, tenantId) => findPostForTenant(db, id, tenantId) });
}

/** The caller's X account named by :id; 400 for a malformed id, 404 for a missing or foreign one. */
export function loadXAccount(db: Kysely<Database>, req: Request, res: Response): Promise<XAccountRow> {
  return loadOwned(req, res, { what: 'X account', idSchema: xAccountIdSchema, find: (id, tenantId) => findXAccountForTenant(db, id, tenantId) });
}
