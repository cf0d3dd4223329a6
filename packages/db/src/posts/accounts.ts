import { type Insertable, type Kysely, sql } from 'kysely';
import type { Database, XAccountRow, XAccountsTable, XApiTier } from '../schema';
import { IN_FLIGHT_POST_STATUSES } from './transitions';

// A tenant's X accounts. Every function is scoped by tenant: another tenant's account is
// indistinguishable from a missing one.

type Db = Kysely<Database>;

export type XAccountInsert = Pick<Insertable<XAccountsTable>, 'tenant_id' | 'handle' | 'api_tier' | 'token_secret_ref'>;
export interface XAccountUpdate {
  handle?: string;
  api_tier?: XApiTier;
  token_secret_ref?: string;
}

/** Thrown when the tenant already has an account with that handle (in any case). */
export class XAccountHandleTakenError extends Error {
  override name = 'XAccountHandleTakenError';
}

const isUniqueViolation = (error: unknown) => (error as { code?: string }).code === '23505';

async function handleTaken<T>(handle: string | undefined, write: () => Promise<T>): Promise<T> {
  try {
    return await write();
  } catch (error) {
    if (isUniqueViolation(error)) throw new XAccountHandleTakenError(`an account with the handle "${String(handle)}" exists already`);
    throw error;
  }
}

export function createXAccount(db: Db, values: XAccountInsert): Promise<XAccountRow> {
  return handleTaken(values.handle, () => db.insertInto('x_accounts').values(values).returningAll().executeTakeFirstOrThrow());
}

export function findXAccountForTenant(db: Db, id: string, tenantId: string): Promise<XAccountRow | undefined> {
  return db.selectFrom('x_accounts').selectAll().where('id', '=', id).where('tenant_id', '=', tenantId).executeTakeFirst();
}

/** A page of a tenant's accounts by handle (case-insensitive), after the handle `after`. */
export function listXAccountsForTenant(db: Db, tenantId: string, query: { after?: string; limit: number }): Promise<XAccountRow[]> {
  let q = db.selectFrom('x_accounts').selectAll().where('tenant_id', '=', tenantId);
  if (query.after !== undefined) q = q.where(sql<boolean>`lower(handle) > lower(${query.after})`);
  return q
    .orderBy(sql`lower(handle)`)
    .limit(query.limit)
    .execute();
}

/** Changes the handle, tier or token reference; undefined when the tenant has no such account. */
export function updateXAccount(db: Db, id: string, tenantId: string, set: XAccountUpdate): Promise<XAccountRow | undefined> {
  return handleTaken(set.handle, () =>
    db
      .updateTable('x_accounts')
      .set({ ...set, updated_at: sql`now()` })
      .where('id', '=', id)
      .where('tenant_id', '=', tenantId)
      .returningAll()
      .executeTakeFirst(),
  );
}

export type XAccountDeleteResult = { ok: true } | { ok: false; reason: 'not_found' } | { ok: false; reason: 'in_flight'; posts: number };

/**
 * Deletes an account and, with it, its posts and their metrics, unless one of its posts is
 * queued or publishing (a call to X may be under way): then nothing is deleted and the
 * answer says how many such posts there are. One statement: it locks the account's posts
 * first, so none can move to queued between the check and the delete.
 */
export async function deleteXAccount(db: Db, id: string, tenantId: string): Promise<XAccountDeleteResult> {
  const { rows } = await sql<{ deleted: boolean; in_flight: number; found: boolean }>`
    with locked as (
      select status from posts where tenant_id = ${tenantId} and account_id = ${id} for update
    ), in_flight as (
      select count(*)::int as n from locked where status in (${sql.join(IN_FLIGHT_POST_STATUSES)})
    ), deleted as (
      delete from x_accounts where id = ${id} and tenant_id = ${tenantId} and (select n from in_flight) = 0 returning id
    )
    select exists (select 1 from deleted) as deleted,
           (select n from in_flight) as in_flight,
           exists (select 1 from x_accounts where id = ${id} and tenant_id = ${tenantId}) as found`.execute(db);
  const row = rows[0]!;
  if (row.deleted) return { ok: true };
  return row.found ? { ok: false, reason: 'in_flight', posts: row.in_flight } : { ok: false, reason: 'not_found' };
}
