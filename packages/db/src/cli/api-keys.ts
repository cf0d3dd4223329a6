#!/usr/bin/env node
import { parseArgs } from 'node:util';
import { parseEnv } from '@conveyor/config';
import { z } from 'zod';
import { SYSTEM_TENANT_ID } from '@conveyor/contracts';
import { createAdminKey, createTenantKey, listApiKeys, revokeApiKey } from '../api-keys';
import { createDb } from '../connect';

const USAGE = `usage: api-keys create --tenant <tenant id> | --admin    a new key, printed once
       api-keys list --tenant <tenant id> | --admin      ids, prefixes, when made and revoked
       api-keys revoke --id <key id>                      the key stops working (within API_KEY_CACHE_MS)
add --json for machine-readable output`;

const uuid = z.uuid({ error: 'must be an id (a UUID)' });
const command = z.discriminatedUnion('command', [
  z.object({ command: z.literal('create'), tenant: uuid.optional(), admin: z.boolean().optional() }),
  z.object({ command: z.literal('list'), tenant: uuid.optional(), admin: z.boolean().optional() }),
  z.object({ command: z.literal('revoke'), id: uuid }),
]);

function fail(message: string): never {
  console.error(`${message}\n${USAGE}`);
  process.exit(2);
}

/** Key rotation from a shell: make a second key, move clients to it, revoke the first. */
async function main() {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: { tenant: { type: 'string' }, admin: { type: 'boolean' }, id: { type: 'string' }, json: { type: 'boolean' } },
  });
  const parsed = command.safeParse({ command: positionals[0], tenant: values.tenant, admin: values.admin, id: values.id });
  if (!parsed.success) fail(parsed.error.issues.map((i) => `${i.path.length ? `--${i.path.join('.')}` : 'command'}: ${i.message}`).join('\n'));
  const args = parsed.data;
  if (args.command !== 'revoke' && Boolean(args.tenant) === Boolean(args.admin)) fail('give --tenant <id> or --admin (one of them)');
  const print = (json: unknown, text: string) => console.log(values.json ? JSON.stringify(json) : text);
  const env = parseEnv(z.object({ DATABASE_URL: z.string().min(1) }));
  const db = createDb(env.DATABASE_URL, { max: 1, applicationName: 'conveyor-api-keys' });
  try {
    if (args.command === 'create') {
      const made = args.admin ? { keyId: undefined, apiKey: await createAdminKey(db) } : await createTenantKey(db, args.tenant!);
      if (!made) {
        const why = args.tenant === SYSTEM_TENANT_ID ? ' that takes keys: the system tenant owns the ingestion schedules and no key' : '';
        return void (console.error(`no tenant ${args.tenant}${why}`), (process.exitCode = 1));
      }
      print({ tenant_id: args.tenant ?? null, admin: Boolean(args.admin), api_key: made.apiKey }, `api key (shown once): ${made.apiKey}`);
    } else if (args.command === 'list') {
      const keys = await listApiKeys(db, args.admin ? { admin: true } : { tenantId: args.tenant! });
      const text = keys.map(
        (k) => `${k.id}  ${k.key_prefix}…  made ${k.created_at.toISOString()}${k.revoked_at ? `  revoked ${k.revoked_at.toISOString()}` : ''}`,
      );
      print(keys, text.join('\n') || 'no keys');
    } else {
      const revoked = await revokeApiKey(db, args.id);
      if (!revoked) process.exitCode = 1;
      print({ id: args.id, revoked }, revoked ? `revoked ${args.id}` : `no live key ${args.id} (unknown or already revoked)`);
    }
  } finally {
    await db.destroy();
  }
}

main().catch((error: unknown) => {
  console.error(`api-keys failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
