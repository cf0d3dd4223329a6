import { type Kysely, sql } from 'kysely';

// Frozen: per-action monthly limits (PLAN_ACTION_LIMITS), counted by the budget reservation.
//
// A limited call's reservation records its action, so the reservation can count the action's
// calls of the period under the budget row's lock: the settled ones are its usage rows, the ones
// in flight its held reservations. The usage index gains action_type as its last column (it
// still serves every (tenant, period) lookup), and held reservations of a limited action get a
// small partial index. Reservations without an action (no limit applies) have no entry there.

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('budget_reservations').addColumn('action_type', 'text').execute();
  await sql`create index budget_reservations_held_action on budget_reservations (tenant_id, period_start, action_type)
             where status = 'held' and action_type is not null`.execute(db);
  await db.schema.createIndex('usage_tracking_tenant_period_action').on('usage_tracking').columns(['tenant_id', 'period_start', 'action_type']).execute();
  await db.schema.dropIndex('usage_tracking_tenant_period').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.createIndex('usage_tracking_tenant_period').on('usage_tracking').columns(['tenant_id', 'period_start']).execute();
  await db.schema.dropIndex('usage_tracking_tenant_period_action').execute();
  await db.schema.dropIndex('budget_reservations_held_action').execute();
  await db.schema.alterTable('budget_reservations').dropColumn('action_type').execute();
}
