import { createHash, randomBytes } from 'node:crypto';
import { type Kysely, sql } from 'kysely';
import { SYSTEM_TENANT_ID } from '@conveyor/contracts';
import type { Database, Plan, Tenant } from './schema';

const KEY_PREFIX = 'cvk_';

/** A new API key: 32 random bytes, so a fast hash is as safe as a slow one. */
export function generateApiKey(): string {
  return KEY_PREFIX + randomBytes(32).toString('base64url');
}

export function hashApiKey(key: string): string {
  return createHash('sha256').update(key).digest('hex');
}

/** Who a key speaks for. */
export interface Principal {
  keyId: string;
  tenantId: string | null;
  plan: Plan | null;
  isAdmin: boolean;
  /** Set for a task token (?token=): the one task it may read; absent for an API key. */
  taskScope?: string;
}

/** Creates a tenant and its first key in one transaction; the key is returned only here. */
export async function createTenantWithKey(db: Kysely<Database>, input: { name: string; plan: Plan }): Promise<{ tenant: Tenant; apiKey: string }> {
  const apiKey = generateApiKey();
  const tenant = await db.transaction().execute(async (trx) => {
    const created = await trx.insertInto('tenants').values(input).returningAll().executeTakeFirstOrThrow();
    await trx
      .insertInto('api_keys')
      .values({ tenant_id: created.id, key_hash: hashApiKey(apiKey), key_prefix: apiKey.slice(0, 10) })
      .execute();
    return created;
  });
  return { tenant, apiKey };
}

/** Creates an admin key (no tenant); the key is returned only here. */
export async function createAdminKey(db: Kysely<Database>): Promise<string> {
  const apiKey = generateApiKey();
  await db
    .insertInto('api_keys')
    .values({ is_admin: true, key_hash: hashApiKey(apiKey), key_prefix: apiKey.slice(0, 10) })
    .execute();
  return apiKey;
}

/** The principal of a presented key, or undefined when it is unknown or revoked. */
export async function findPrincipalByKey(db: Kysely<Database>, key: string): Promise<Principal | undefined> {
  const row = await db
    .selectFrom('api_keys')
    .leftJoin('tenants', 'tenants.id', 'api_keys.tenant_id')
    .select(['api_keys.id', 'api_keys.tenant_id', 'api_keys.is_admin', 'tenants.plan'])
    .where('api_keys.key_hash', '=', hashApiKey(key))
    .where('api_keys.revoked_at', 'is', null)
    .executeTakeFirst();
  if (!row) return undefined;
  return { keyId: row.id, tenantId: row.tenant_id, plan: row.plan, isAdmin: row.is_admin };
}

/** Another key for an existing tenant (the new half of a rotation); undefined when there is no such tenant. */
export async function createTenantKey(db: Kysely<Database>, tenantId: string): Promise<{ keyId: string; apiKey: string } | undefined> {
  // The system tenant (ingestion's schedules and tasks) is never anyone's: it takes no key.
  if (tenantId === SYSTEM_TENANT_ID) return undefined;
  const tenant = await db.selectFrom('tenants').select('id').where('id', '=', tenantId).executeTakeFirst();
  if (!tenant) return undefined;
  const apiKey = generateApiKey();
  const row = await db
    .insertInto('api_keys')
    .values({ tenant_id: tenantId, key_hash: hashApiKey(apiKey), key_prefix: apiKey.slice(0, 10) })
    .returning('id')
    .executeTakeFirstOrThrow();
  return { keyId: row.id, apiKey };
}

/** A key as listings show it: never the key, only its first characters. */
export interface ApiKeyListing {
  id: string;
  tenant_id: string | null;
  is_admin: boolean;
  key_prefix: string;
  created_at: Date;
  revoked_at: Date | null;
}

/** A tenant's keys, or the admin keys, oldest first. */
export async function listApiKeys(db: Kysely<Database>, owner: { tenantId: string } | { admin: true }): Promise<ApiKeyListing[]> {
  let query = db.selectFrom('api_keys').select(['id', 'tenant_id', 'is_admin', 'key_prefix', 'created_at', 'revoked_at']);
  query = 'tenantId' in owner ? query.where('tenant_id', '=', owner.tenantId) : query.where('is_admin', '=', true);
  return query.orderBy('created_at').orderBy('id').execute();
}

/**
 * Revokes a key by its id, and deletes its console sessions in the same statement: true if it
 * was live until now, false if unknown or already revoked.
 */
export async function revokeApiKey(db: Kysely<Database>, keyId: string): Promise<boolean> {
  const { rows } = await sql<{ revoked: number }>`
    with revoked as (
      update api_keys set revoked_at = now() where id = ${keyId} and revoked_at is null returning id
    ), sessions as (
      delete from console_sessions where api_key_id in (select id from revoked)
    )
    select count(*)::int as revoked from revoked`.execute(db);
  return (rows[0]?.revoked ?? 0) > 0;
}
