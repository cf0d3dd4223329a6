import { z } from 'zod';

// The console's sign-in (POST/GET/DELETE /api/v1/auth/session) and the admin's list of
// tenants it may act for (GET /api/v1/admin/tenants, then the X-Conveyor-Tenant header).

/** Body of POST /api/v1/auth/session; the key may come as "Authorization: Bearer <key>" instead (then no body). */
export const signInBodySchema = z
  .object({
    api_key: z.string().min(1).max(200).meta({ description: 'A tenant or admin API key (cvk_...); or send it as "Authorization: Bearer <key>" and no body' }),
  })
  .strict();

/** Who a console session speaks for. */
export const consolePrincipalSchema = z.object({
  kind: z.enum(['tenant', 'admin']),
  /** Null for an admin. */
  tenant_id: z.uuid().nullable(),
  tenant_name: z.string().nullable(),
  plan: z.enum(['trial', 'starter', 'growth']).nullable(),
});

/** 201 of POST /api/v1/auth/session and 200 of GET /api/v1/auth/session. */
export const consoleSessionSchema = z.object({
  principal: consolePrincipalSchema,
  /** When the session ends unless it is used before (each use moves it ahead, up to the session's maximum lifetime). */
  expires_at: z.iso.datetime(),
});
export type ConsoleSessionView = z.infer<typeof consoleSessionSchema>;

/** 200 of GET /api/v1/admin/tenants. */
export const tenantListSchema = z.object({
  tenants: z.array(
    z.object({
      tenant_id: z.uuid(),
      name: z.string(),
      plan: z.enum(['trial', 'starter', 'growth']),
      created_at: z.iso.datetime(),
    }),
  ),
});
export type TenantList = z.infer<typeof tenantListSchema>;
