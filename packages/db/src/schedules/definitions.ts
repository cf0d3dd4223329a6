import { type Insertable, type Kysely, type Updateable, sql } from 'kysely';
import type { Database, ScheduleRow, SchedulesTable } from '../schema';

type Db = Kysely<Database>;

export type ScheduleInsert = Omit<Insertable<SchedulesTable>, 'payload'> & { payload: unknown };
export type ScheduleUpdate = Omit<Updateable<SchedulesTable>, 'payload'> & { payload?: unknown };

/** Thrown when a tenant already has a schedule of that name. */
export class ScheduleNameTakenError extends Error {
  override name = 'ScheduleNameTakenError';
}

const isUniqueViolation = (error: unknown) => (error as { code?: string }).code === '23505';

export async function insertSchedule(db: Db, values: ScheduleInsert): Promise<ScheduleRow> {
  try {
    return await db
      .insertInto('schedules')
      .values({ ...values, payload: JSON.stringify(values.payload) })
      .returningAll()
      .executeTakeFirstOrThrow();
  } catch (error) {
    if (isUniqueViolation(error)) throw new ScheduleNameTakenError(`a schedule named "${values.name}" exists already`);
    throw error;
  }
}

/** A tenant's schedule; another tenant's is indistinguishable from a missing one. */
export function findScheduleForTenant(db: Db, id: string, tenantId: string): Promise<ScheduleRow | undefined> {
  return db.selectFrom('schedules').selectAll().where('id', '=', id).where('tenant_id', '=', tenantId).executeTakeFirst();
}

/** A page of a tenant's schedules by name, after the name `after`. */
export function listSchedulesForTenant(db: Db, tenantId: string, query: { after?: string; limit: number }): Promise<ScheduleRow[]> {
  let q = db.selectFrom('schedules').selectAll().where('tenant_id', '=', tenantId);
  if (query.after) q = q.where('name', '>', query.after);
  return q.orderBy('name').limit(query.limit).execute();
}

export async function updateSchedule(db: Db, id: string, tenantId: string, set: ScheduleUpdate): Promise<ScheduleRow | undefined> {
  const { payload, ...rest } = set;
  try {
    return await db
      .updateTable('schedules')
      .set({ ...rest, ...(payload === undefined ? {} : { payload: JSON.stringify(payload) }), updated_at: sql`now()` })
      .where('id', '=', id)
      .where('tenant_id', '=', tenantId)
      .returningAll()
      .executeTakeFirst();
  } catch (error) {
    if (isUniqueViolation(error)) throw new ScheduleNameTakenError(`a schedule named "${String(set.name)}" exists already`);
    throw error;
  }
}

/** Deletes a schedule; the tick can never select it again, so it never fires again. */
export async function deleteSchedule(db: Db, id: string, tenantId: string): Promise<boolean> {
  const result = await db.deleteFrom('schedules').where('id', '=', id).where('tenant_id', '=', tenantId).executeTakeFirst();
  return result.numDeletedRows > 0n;
}

/** Postgres' clock: "is it due?" is decided by it, never by an app's. */
export async function databaseNow(db: Db): Promise<Date> {
  const { rows } = await sql<{ now: Date }>`select now() as now`.execute(db);
  return rows[0]!.now;
}
