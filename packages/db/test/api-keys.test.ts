import type { Kysely } from 'kysely';
import { sql } from 'kysely';
import { type Database, createAdminKey, createTenantWithKey, findPrincipalByKey, hashApiKey } from '../src';
import { openTestDb } from './helpers';

let db: Kysely<Database>;
let close: () => Promise<void>;
beforeAll(async () => ({ db, close } = await openTestDb()));
afterAll(() => close());

describe('API keys', () => {
  it('stores only a hash and resolves a key to its tenant', async () => {
    const { tenant, apiKey } = await createTenantWithKey(db, { name: 'acme', plan: 'starter' });
    expect(apiKey).toMatch(/^cvk_[A-Za-z0-9_-]{43}$/);
    const stored = await sql<{ key_hash: string }>`select key_hash from api_keys where tenant_id = ${tenant.id}`.execute(db);
    expect(stored.rows[0]!.key_hash).toBe(hashApiKey(apiKey));
    const dump = JSON.stringify((await sql`select * from api_keys`.execute(db)).rows);
    expect(dump).not.toContain(apiKey);
    expect(await findPrincipalByKey(db, apiKey)).toMatchObject({ tenantId: tenant.id, plan: 'starter', isAdmin: false });
  });

  it('knows nothing of unknown or revoked keys', async () => {
    expect(await findPrincipalByKey(db, 'cvk_not-a-real-key')).toBeUndefined();
    const { apiKey } = await createTenantWithKey(db, { name: 'gone', plan: 'trial' });
    await db.updateTable('api_keys').set({ revoked_at: new Date() }).where('key_hash', '=', hashApiKey(apiKey)).execute();
    expect(await findPrincipalByKey(db, apiKey)).toBeUndefined();
  });

  it('makes admin keys that belong to no tenant', async () => {
    const key = await createAdminKey(db);
    expect(await findPrincipalByKey(db, key)).toMatchObject({ tenantId: null, isAdmin: true });
  });
});
