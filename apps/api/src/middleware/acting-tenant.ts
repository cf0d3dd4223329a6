import type { Principal } from '@conveyor/db';
import type { Request } from 'express';
import { HttpError } from '../http-error';

/** The header an admin sends to act for a tenant on tenant routes. */
const TENANT_HEADER = 'x-conveyor-tenant';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A tenant an admin may act for: its id and plan (the plan's limits apply to what is done for it). */
export type FindTenant = (tenantId: string) => Promise<{ id: string; plan: Principal['plan'] } | undefined>;

/**
 * The principal a request with X-Conveyor-Tenant speaks for: an admin's (key or session),
 * given that tenant's id and plan, so tenantOf answers that tenant on tenant routes. It stays
 * an admin (admin routes still work, and the admin key's own rate limit counts its requests).
 * The header from anyone else is a 403; a malformed id a 400; a tenant that does not exist a 404.
 */
export async function actingPrincipal(req: Request, principal: Principal, findTenant: FindTenant): Promise<Principal> {
  const wanted = req.get(TENANT_HEADER);
  if (wanted === undefined) return principal;
  if (!principal.isAdmin) {
    throw new HttpError(
      403,
      'tenant_header_admin_only',
      'X-Conveyor-Tenant is for admin keys and admin sessions only: a tenant key always acts for its own tenant, so leave the header out',
    );
  }
  if (!UUID.test(wanted)) {
    throw new HttpError(400, 'invalid_tenant_header', 'X-Conveyor-Tenant must be a tenant id (a UUID); GET /api/v1/admin/tenants lists them');
  }
  const tenant = await findTenant(wanted.toLowerCase());
  if (!tenant) throw new HttpError(404, 'tenant_not_found', `No tenant ${wanted}; GET /api/v1/admin/tenants lists the tenants an admin may act for`);
  return { ...principal, tenantId: tenant.id, plan: tenant.plan };
}
