import { type Database, EDITABLE_POST_STATUSES, syncPostWithSchedules } from '@conveyor/db';
import type { Kysely } from 'kysely';
import { HttpError } from './http-error';
import { postConflict } from './post-conflict';

// A post is scheduled by a schedule of the task publish_post ({post_id}) made through the
// schedules API. This hook keeps the post's status and scheduled_at in line with its schedules:
// every write of such a schedule runs with the post's update in one transaction.

/** The schedule fields the hook reads. */
interface ScheduleTarget {
  task: string;
  payload: unknown;
}

/** The post a schedule publishes, or undefined for a schedule of another task. */
function postOf(schedule: ScheduleTarget | undefined): string | undefined {
  if (schedule?.task !== 'publish_post') return undefined;
  const postId = (schedule.payload as { post_id?: unknown } | null)?.post_id;
  return typeof postId === 'string' ? postId : undefined;
}

export interface ScheduleChange {
  /** The schedule as it was (a change, a delete, enable/disable), if any. */
  before?: ScheduleTarget;
  /** The schedule as it will be (a create, a change, enable/disable); undefined for a delete. */
  after?: ScheduleTarget;
}

/**
 * Runs a schedule write and, when a publish_post schedule is involved, brings its post (and
 * the post it named before, if that changed) in line in the same transaction: scheduled at
 * its schedules' earliest next fire, or back to a draft when none is left (db's
 * syncPostWithSchedules). A new schedule, or one pointed at another post, needs that post to be
 * the tenant's (else 404) and a draft or scheduled (else 409), and is not written otherwise.
 * A post that has moved on (queued, published…) is left alone when its schedule changes or goes.
 * Writes of other schedules run as before, without a transaction.
 */
export async function withScheduledPosts<T>(
  db: Kysely<Database>,
  tenantId: string,
  change: ScheduleChange,
  write: (db: Kysely<Database>) => Promise<T>,
): Promise<T> {
  const before = postOf(change.before);
  const after = postOf(change.after);
  if (!before && !after) return write(db);
  return db.transaction().execute(async (trx) => {
    const written = await write(trx);
    if (after) {
      const synced = await syncPostWithSchedules(trx, tenantId, after);
      if (!synced.ok && after !== before) {
        if (synced.reason === 'not_found')
          throw new HttpError(404, 'post_not_found', `No post ${after}: payload.post_id must name one of your posts (GET /api/v1/posts)`, [
            { path: 'payload.post_id', message: 'no such post of yours' },
          ]);
        throw postConflict(synced.current, 'scheduled', EDITABLE_POST_STATUSES);
      }
    }
    if (before && before !== after) await syncPostWithSchedules(trx, tenantId, before);
    return written;
  });
}
