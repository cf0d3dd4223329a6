import { type Kysely, sql } from 'kysely';

// Frozen: what publishing needs beyond 0007.
//  - A stage may be in seconds ('30s'): tests and demos shorten the capture stages by
//    configuration instead of waiting minutes.
//  - One X post is recorded by at most one Conveyor post of its account: a publish that
//    recovers an X post after a lost answer can never attach it to a second post.
//  - Which task attempt holds a post in `publishing`: a later attempt of the same task knows
//    the earlier one is over (the queue redelivers only once its lock lapsed) and takes over
//    at once; any other task waits until the hold is stale.

export async function up(db: Kysely<any>): Promise<void> {
  await sql`alter table metrics_snapshots drop constraint metrics_snapshots_stage_check`.execute(db);
  await sql`alter table metrics_snapshots add constraint metrics_snapshots_stage_check check (stage ~ '^[1-9][0-9]{0,4}[smhd]$')`.execute(db);
  await db.schema
    .createIndex('posts_account_x_post')
    .on('posts')
    .columns(['account_id', 'x_post_id'])
    .unique()
    .where(sql.ref('x_post_id'), 'is not', null)
    .execute();
  await db.schema.alterTable('posts').addColumn('publishing_task_id', 'uuid').addColumn('publishing_attempt', 'integer').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('posts').dropColumn('publishing_task_id').dropColumn('publishing_attempt').execute();
  await db.schema.dropIndex('posts_account_x_post').execute();
  // 0007's check has no seconds: snapshots at a stage in seconds (tests and demos only) go.
  await sql`delete from metrics_snapshots where stage !~ '^[1-9][0-9]{0,4}[mhd]$'`.execute(db);
  await sql`alter table metrics_snapshots drop constraint metrics_snapshots_stage_check`.execute(db);
  await sql`alter table metrics_snapshots add constraint metrics_snapshots_stage_check check (stage ~ '^[1-9][0-9]{0,4}[mhd]$')`.execute(db);
}
