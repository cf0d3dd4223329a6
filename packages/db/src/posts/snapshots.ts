import { type Insertable, type Kysely, sql } from 'kysely';
import type { Database, MetricsSnapshotRow, MetricsSnapshotsTable } from '../schema';

// A published post's metrics, one snapshot per stage (how long after publication).

type Db = Kysely<Database>;

export type MetricsSnapshotInsert = Omit<Insertable<MetricsSnapshotsTable>, 'tenant_id' | 'captured_at'>;

/**
 * Records a snapshot once: a second one for the same (post, stage) changes nothing, so a
 * repeated capture job is harmless. The tenant is the post's. False when nothing was
 * written (the stage was captured already, or the post is gone).
 */
export async function recordMetricsSnapshot(db: Db, snapshot: MetricsSnapshotInsert): Promise<boolean> {
  const s = snapshot;
  const { rows } = await sql<{ post_id: string }>`
    insert into metrics_snapshots (tenant_id, post_id, stage, impressions, likes, reposts, replies, quotes, bookmarks)
    select tenant_id, id, ${s.stage}, ${s.impressions ?? null}::int, ${s.likes ?? null}::int, ${s.reposts ?? null}::int,
           ${s.replies ?? null}::int, ${s.quotes ?? null}::int, ${s.bookmarks ?? null}::int
      from posts where id = ${s.post_id}
    on conflict (post_id, stage) do nothing
    returning post_id`.execute(db);
  return rows.length > 0;
}

// A stage's length in seconds ('90m' → 5400), to order the series by it rather than by text.
const STAGE_SECONDS = sql`left(stage, -1)::int * case right(stage, 1) when 's' then 1 when 'm' then 60 when 'h' then 3600 else 86400 end`;

/** A post's snapshots, earliest stage first; with tenantId, only the tenant's post's. */
export function listMetricsSnapshots(db: Db, postId: string, tenantId?: string): Promise<MetricsSnapshotRow[]> {
  let q = db.selectFrom('metrics_snapshots').selectAll().where('post_id', '=', postId);
  if (tenantId !== undefined) q = q.where('tenant_id', '=', tenantId);
  return q.orderBy(STAGE_SECONDS).execute();
}
