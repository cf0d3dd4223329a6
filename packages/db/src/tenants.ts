import { SYSTEM_TENANT_ID } from '@conveyor/contracts';
import type { Kysely } from 'kysely';
import type { Database, Plan } from './schema';

/** A tenant as the admin's listing shows it. */
export interface TenantListing {
  id: string;
  name: string;
  plan: Plan;
  created_at: Date;
}

/**
 * Every tenant, by name. The system tenant (ingestion's own tasks and schedules) is not
 * listed: it is nobody's, so no one acts for it.
 */
export async function listTenants(db: Kysely<Database>): Promise<TenantListing[]> {
  return db.selectFrom('tenants').select(['id', 'name', 'plan', 'created_at']).where('id', '<>', SYSTEM_TENANT_ID).orderBy('name').orderBy('id').execute();
}

/** The tenant an admin may act for, or undefined when there is none (the system tenant included). */
export async function findTenant(db: Kysely<Database>, tenantId: string): Promise<TenantListing | undefined> {
  if (tenantId === SYSTEM_TENANT_ID) return undefined;
  return db.selectFrom('tenants').select(['id', 'name', 'plan', 'created_at']).where('id', '=', tenantId).executeTakeFirst();
}
