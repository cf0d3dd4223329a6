import { type Kysely } from 'kysely';
import type { Database, PostStatus } from '../schema';

/**
 * What a compare-and-set write on a post answers: it happened; there is no such post (for
 * this tenant); or the post exists but was not in a state the write accepts, which is
 * reported with the state it is in now (the API's 409).
 */
export type PostWriteResult<T> = ({ ok: true } & T) | { ok: false; reason: 'not_found' } | { ok: false; reason: 'conflict'; current: PostStatus };

/**
 * Tells a missed compare-and-set's "not found" from its "conflict": one read, after the
 * write matched no row, of the post's state now.
 */
export async function missedWrite(db: Kysely<Database>, postId: string, tenantId: string | undefined): Promise<PostWriteResult<never>> {
  let q = db.selectFrom('posts').select('status').where('id', '=', postId);
  if (tenantId !== undefined) q = q.where('tenant_id', '=', tenantId);
  const row = await q.executeTakeFirst();
  return row ? { ok: false, reason: 'conflict', current: row.status } : { ok: false, reason: 'not_found' };
}
