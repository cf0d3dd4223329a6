import { type TenantList } from '@conveyor/contracts';
import { type Database, listTenants } from '@conveyor/db';
import { Router } from 'express';
import type { Kysely } from 'kysely';
import { requireAdmin } from '../middleware/require-admin';

/** GET /admin/tenants: the tenants an admin may act for (X-Conveyor-Tenant), by name. */
export function adminTenantsRouter(deps: { db: Kysely<Database> }): Router {
  return Router().get('/admin/tenants', requireAdmin, async (_req, res) => {
    const tenants = await listTenants(deps.db);
    const body: TenantList = {
      tenants: tenants.map((t) => ({ tenant_id: t.id, name: t.name, plan: t.plan, created_at: t.created_at.toISOString() })),
    };
    res.json(body);
  });
}
