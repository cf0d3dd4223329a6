import { SYSTEM_TENANT_ID } from '@conveyor/contracts';
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import type { Kysely } from 'kysely';
import { type Database, createTenantWithKey, findPrincipalByKey } from '../src';
import { openTestDb } from './helpers';

// Key rotation from a shell, through the built CLI (packages/db/dist/cli/api-keys.js).
const CLI = path.resolve(__dirname, '../dist/cli/api-keys.js');
let db: Kysely<Database>;
let url: string;
let close: () => Promise<void>;
beforeAll(async () => {
  const opened = await openTestDb();
  ({ db, close } = opened);
  url = opened.testDb.url;
});
afterAll(() => close());

async function cli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [CLI, ...args], { env: { ...process.env, DATABASE_URL: url } });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

it('rotates a tenant key: a second key works, the first stops when revoked, listings never show a key', async () => {
  const { tenant, apiKey: first } = await createTenantWithKey(db, { name: 'rotating', plan: 'starter' });
  const made = await cli('create', '--tenant', tenant.id, '--json');
  expect(made.code).toBe(0);
  const second = (JSON.parse(made.stdout) as { api_key: string }).api_key;
  expect(await findPrincipalByKey(db, second)).toMatchObject({ tenantId: tenant.id, plan: 'starter', isAdmin: false });

  const listed = await cli('list', '--tenant', tenant.id, '--json');
  const keys = JSON.parse(listed.stdout) as { id: string; key_prefix: string; revoked_at: string | null }[];
  expect(keys.map((k) => k.key_prefix)).toEqual([first.slice(0, 10), second.slice(0, 10)]);
  expect(listed.stdout).not.toContain(first);
  expect(listed.stdout).not.toContain(second);

  expect((await cli('revoke', '--id', keys[0]!.id)).code).toBe(0);
  expect(await findPrincipalByKey(db, first)).toBeUndefined();
  expect(await findPrincipalByKey(db, second)).toBeDefined();
  // Revoking twice says so, with a failing status.
  const again = await cli('revoke', '--id', keys[0]!.id);
  expect(again).toMatchObject({ code: 1, stdout: expect.stringContaining('unknown or already revoked') });
});

it('makes and lists admin keys apart from tenant keys', async () => {
  const made = await cli('create', '--admin', '--json');
  const key = (JSON.parse(made.stdout) as { api_key: string }).api_key;
  expect(await findPrincipalByKey(db, key)).toMatchObject({ tenantId: null, isAdmin: true });
  const listed = JSON.parse((await cli('list', '--admin', '--json')).stdout) as { is_admin: boolean }[];
  expect(listed.length).toBeGreaterThanOrEqual(1);
  expect(listed.every((k) => k.is_admin)).toBe(true);
});

const keyCount = async () =>
  Number(
    (
      await db
        .selectFrom('api_keys')
        .select((eb) => eb.fn.countAll().as('n'))
        .executeTakeFirstOrThrow()
    ).n,
  );

it('refuses bad input with a message and usage, touching nothing', async () => {
  const before = await keyCount();
  const cases: [string[], RegExp][] = [
    [['create'], /give --tenant <id> or --admin/],
    [['create', '--tenant', 'acme'], /--tenant: must be an id/],
    [['revoke', '--id', "1'; drop table api_keys; --"], /--id: must be an id/],
    [['rotate'], /command: /],
    [[], /command: /],
  ];
  for (const [args, message] of cases) {
    const run = await cli(...args);
    expect({ args, code: run.code, message: message.test(run.stderr), usage: run.stderr.includes('usage: api-keys') }).toEqual({
      args,
      code: 2,
      message: true,
      usage: true,
    });
  }
  expect((await cli('create', '--tenant', '00000000-0000-4000-8000-0000000000aa')).stderr).toMatch(/no tenant/);
  expect((await cli('create', '--tenant', SYSTEM_TENANT_ID)).stderr).toMatch(/system tenant owns the ingestion schedules and no key/);
  expect(await keyCount()).toBe(before);
});
