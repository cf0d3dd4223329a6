#!/usr/bin/env node
import { parseArgs } from 'node:util';
import { parseEnv } from '@conveyor/config';
import { z } from 'zod';
import { createAdminKey, createTenantWithKey } from '../api-keys';
import { createDb } from '../connect';

const args = z.object({
  name: z.string().min(1).max(200).optional(),
  plan: z.enum(['trial', 'starter', 'growth']).default('trial'),
  admin: z.boolean().default(false),
  json: z.boolean().default(false),
});

const USAGE = 'usage: create-tenant --name <name> [--plan trial|starter|growth] [--json]\n       create-tenant --admin [--json]';

/** Creates a tenant with an API key (or an admin key) and prints the key once. */
async function main() {
  const { values } = parseArgs({
    options: { name: { type: 'string' }, plan: { type: 'string' }, admin: { type: 'boolean' }, json: { type: 'boolean' } },
  });
  const parsed = args.safeParse(values);
  if (!parsed.success || (!parsed.data.admin && !parsed.data.name)) {
    console.error(parsed.success ? USAGE : `${parsed.error.issues.map((i) => `--${i.path.join('.')}: ${i.message}`).join('\n')}\n${USAGE}`);
    process.exit(2);
  }
  const opts = parsed.data;
  const env = parseEnv(z.object({ DATABASE_URL: z.string().min(1) }));
  const db = createDb(env.DATABASE_URL, { max: 1, applicationName: 'conveyor-create-tenant' });
  try {
    if (opts.admin) {
      const apiKey = await createAdminKey(db);
      console.log(opts.json ? JSON.stringify({ admin: true, api_key: apiKey }) : `admin key (shown once): ${apiKey}`);
    } else {
      const { tenant, apiKey } = await createTenantWithKey(db, { name: opts.name!, plan: opts.plan });
      console.log(
        opts.json
          ? JSON.stringify({ tenant_id: tenant.id, name: tenant.name, plan: tenant.plan, api_key: apiKey })
          : `tenant ${tenant.name} (${tenant.id}, plan ${tenant.plan})\napi key (shown once): ${apiKey}`,
      );
    }
  } finally {
    await db.destroy();
  }
}

main().catch((error: unknown) => {
  console.error(`create-tenant failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
