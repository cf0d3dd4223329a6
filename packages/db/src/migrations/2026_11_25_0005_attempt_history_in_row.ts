import { type Kysely, sql } from 'kysely';

// Frozen: a task's finished attempts move from the task_attempts table into a jsonb array on
// the task row, so that every state change of a task is one row update (no second table, no
// foreign-key check per attempt). The attempt now running is the task's own attempt,
// started_at and status; it is not in the array.

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .alterTable('tasks')
    .addColumn('attempt_history', 'jsonb', (c) => c.notNull().defaultTo(sql`'[]'::jsonb`))
    .execute();
  await sql`
    update tasks t
       set attempt_history = h.history
      from (
        select task_id,
               jsonb_agg(jsonb_build_object('attempt', attempt, 'started_at', started_at, 'finished_at', finished_at, 'outcome', outcome, 'error', error) order by attempt) as history
          from task_attempts
         where outcome <> 'running'
         group by task_id
      ) h
     where t.id = h.task_id`.execute(db);
  await db.schema.dropTable('task_attempts').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('task_attempts')
    .addColumn('task_id', 'uuid', (c) => c.notNull().references('tasks.id').onDelete('cascade'))
    .addColumn('attempt', 'integer', (c) => c.notNull())
    .addColumn('started_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('finished_at', 'timestamptz')
    .addColumn('outcome', 'text', (c) =>
      c
        .notNull()
        .defaultTo('running')
        .check(sql`outcome in ('running','success','retry','failure','lost','revoked','released','fenced')`),
    )
    .addColumn('error', 'jsonb')
    .addPrimaryKeyConstraint('task_attempts_pk', ['task_id', 'attempt'])
    .execute();
  // Later code also writes a 'deferred' outcome, which the older check does not know: it is kept
  // as 'released', the other way an attempt ended without being spent. An attempt listed twice
  // keeps its first entry (task_attempts holds one row per attempt).
  await sql`
    insert into task_attempts (task_id, attempt, started_at, finished_at, outcome, error)
    select t.id, (a->>'attempt')::int, coalesce((a->>'started_at')::timestamptz, (a->>'finished_at')::timestamptz, t.created_at),
           (a->>'finished_at')::timestamptz, case a->>'outcome' when 'deferred' then 'released' else a->>'outcome' end, nullif(a->'error', 'null'::jsonb)
      from tasks t, jsonb_array_elements(t.attempt_history) a
        on conflict do nothing`.execute(db);
  await sql`
    insert into task_attempts (task_id, attempt, started_at)
    select id, attempt, coalesce(started_at, updated_at) from tasks where status in ('STARTED', 'PROGRESS')
        on conflict do nothing`.execute(db);
  await db.schema.alterTable('tasks').dropColumn('attempt_history').execute();
}
