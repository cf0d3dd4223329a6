import { type Kysely, sql } from 'kysely';
import type { Database, PostRow } from '../schema';
import { EDITABLE_POST_STATUSES } from './transitions';
import { type PostWriteResult, missedWrite } from './write-result';

type Db = Kysely<Database>;

/** The task whose schedules publish a post; their payload is `{post_id}`. */
const PUBLISH_TASK = 'publish_post';

/**
 * Brings a post's schedule state in line with the tenant's `publish_post` schedules that name
 * it, whatever changed them (one created, changed, disabled, enabled or deleted, or several
 * for one post): scheduled at the earliest next fire of the enabled ones, or back to a draft
 * when none is left. One compare-and-set on a post that is still a draft or scheduled
 * (draft ↔ scheduled are moves of POST_TRANSITIONS; staying put only changes the time). A post
 * that has moved on (queued, published, cancelled…) is left alone: `conflict` with its state.
 * Run it in the transaction that changed the schedule, so the two commit together.
 */
export async function syncPostWithSchedules(db: Db, tenantId: string, postId: string): Promise<PostWriteResult<{ post: PostRow }>> {
  const next = sql<Date | null>`(select min(next_run_at) from schedules
     where tenant_id = ${tenantId} and task = ${PUBLISH_TASK} and enabled and next_run_at is not null
       and payload->>'post_id' = ${postId})`;
  const post = await db
    .updateTable('posts')
    .set({
      status: sql`case when ${next} is null then 'draft' else 'scheduled' end`,
      scheduled_at: next,
      updated_at: sql`now()`,
    })
    .where('id', '=', postId)
    .where('tenant_id', '=', tenantId)
    .where('status', 'in', EDITABLE_POST_STATUSES)
    .returningAll()
    .executeTakeFirst();
  return post ? { ok: true, post } : missedWrite(db, postId, tenantId);
}

/**
 * Turns off the tenant's `publish_post` schedules of a post that will never be published (it
 * was cancelled or deleted), so they do not fire tasks for nothing. Returns how many.
 */
export async function disablePostSchedules(db: Db, tenantId: string, postId: string): Promise<number> {
  const rows = await db
    .updateTable('schedules')
    .set({ enabled: false, updated_at: sql`now()` })
    .where('tenant_id', '=', tenantId)
    .where('task', '=', PUBLISH_TASK)
    .where('enabled', '=', true)
    .where(sql<boolean>`payload->>'post_id' = ${postId}`)
    .returning('id')
    .execute();
  return rows.length;
}
