import { type Kysely, sql } from 'kysely';
import type { Database, PostRow } from '../schema';

// Writes and reads of the publishing worker besides the state moves (transitionPost).

type Db = Kysely<Database>;

/**
 * Keeps X's media ids of a post as each upload finishes, so a retried publish never uploads a
 * file twice: a compare-and-set on the ids the caller last read, and only before the post is
 * published (draft to publishing). False when another writer got there first or the post moved on.
 */
export async function recordPostMediaIds(db: Db, postId: string, expected: readonly string[], next: readonly string[]): Promise<boolean> {
  const row = await db
    .updateTable('posts')
    .set({ media_ids: sql<string[]>`${[...next]}::text[]` })
    .where('id', '=', postId)
    // One array parameter (a JS array in a Kysely comparison would become a value list).
    .where(sql<boolean>`media_ids = ${[...expected]}::text[]`)
    .where('status', 'in', ['draft', 'scheduled', 'queued', 'publishing'])
    .returning('id')
    .executeTakeFirst();
  return row !== undefined;
}

/** The post of an account that already holds an X post id, if any (a recovery must not reuse it). */
export function findPostByXPostId(db: Db, accountId: string, xPostId: string): Promise<PostRow | undefined> {
  return db.selectFrom('posts').selectAll().where('account_id', '=', accountId).where('x_post_id', '=', xPostId).executeTakeFirst();
}
