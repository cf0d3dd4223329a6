import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { type TestDatabase, createTestDatabase } from '@conveyor/testkit';
import { type Kysely, sql } from 'kysely';
import { type Database, appliedMigrations, createDb, migrateUrl, migrationNames, schemaFingerprint } from '../src';

// Rollback from a shell, through the built CLI (packages/db/dist/cli/migrate.js), each test on
// its own database cloned from the migrated template.
const CLI = path.resolve(__dirname, '../dist/cli/migrate.js');
const NAMES = migrationNames();
let testDb: TestDatabase;
let db: Kysely<Database>;
beforeEach(async () => {
  testDb = await createTestDatabase({ key: schemaFingerprint(), migrate: migrateUrl });
  db = createDb(testDb.url, { max: 1 });
});
afterEach(async () => {
  await db.destroy();
  await testDb.drop();
});

async function cli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [CLI, ...args], { env: { ...process.env, DATABASE_URL: testDb.url } });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

const tableExists = async (name: string) =>
  (await sql<{ n: number }>`select count(*)::int as n from pg_tables where tablename = ${name}`.execute(db)).rows[0]!.n === 1;

it('--down without --yes prints what it would roll back and that data is lost, changes nothing and exits 1', async () => {
  const out = await cli('--down', '5');
  expect(out.code).toBe(1);
  expect(out.stderr).toContain('this would roll back 5 migrations, newest first:');
  expect(out.stderr).toContain(
    NAMES.slice(-5)
      .reverse()
      .map((n) => `  ${n}`)
      .join('\n'),
  );
  expect(out.stderr).toContain('the data in them is lost');
  expect(out.stderr).toContain('Run again with --yes');
  expect(await appliedMigrations(db)).toEqual(NAMES);
  expect(await tableExists('console_sessions')).toBe(true); // 0019's table, which --down 5 would drop
});

it('--to an earlier migration without --yes refuses too; --to a later one needs no --yes', async () => {
  const refused = await cli('--to', NAMES[0]!);
  expect(refused.code).toBe(1);
  expect(refused.stderr).toContain(`this would roll back ${NAMES.length - 1} migrations`);
  expect(await appliedMigrations(db)).toEqual(NAMES);

  expect((await cli('--down', '2', '--yes')).code).toBe(0);
  const up = await cli('--to', NAMES.at(-1)!);
  expect(up).toMatchObject({ code: 0, stdout: `applied ${NAMES.at(-2)}\napplied ${NAMES.at(-1)}\nmigrations: ${NAMES.at(-1)}\n` });
});

it('--to an earlier name with --yes reverts down to it, and no arguments brings it back up', async () => {
  const target = '2026_12_05_0018_queue_overview_dead_letter_ack';
  const down = await cli('--to', target, '--yes');
  expect(down.code).toBe(0);
  const reverted = NAMES.slice(NAMES.indexOf(target) + 1).reverse();
  expect(down.stdout).toBe(`${reverted.map((n) => `reverted ${n}\n`).join('')}migrations: ${target}\n`);
  expect(await appliedMigrations(db)).toEqual(NAMES.slice(0, NAMES.indexOf(target) + 1));
  expect(await tableExists('console_sessions')).toBe(false);

  expect(await cli()).toMatchObject({ code: 0, stdout: 'migrations: up to date\n' });
  expect(await appliedMigrations(db)).toEqual(NAMES);
  expect(await tableExists('console_sessions')).toBe(true);
});

it('--down with --yes past every applied migration is refused, all of them is allowed', async () => {
  const tooFar = await cli('--down', String(NAMES.length + 1), '--yes');
  expect(tooFar.code).toBe(2);
  expect(tooFar.stderr).toContain(`cannot roll back ${NAMES.length + 1} migrations: only ${NAMES.length} are applied`);
  expect(await appliedMigrations(db)).toEqual(NAMES);

  const all = await cli('--down', String(NAMES.length), '--yes');
  expect(all.code).toBe(0);
  expect(all.stdout).toMatch(/migrations: none applied\n$/);
  expect(await tableExists('tasks')).toBe(false);
});

it('an unknown --to name exits 2 naming the nearest migrations and listing the known ones', async () => {
  const out = await cli('--to', '0020', '--yes');
  expect(out.code).toBe(2);
  expect(out.stderr).toContain('no migration named "0020"');
  expect(out.stderr).toContain('nearest: 2026_12_05_0020_task_claims_heap_only');
  expect(out.stderr).toContain(`  ${NAMES[0]}\n`);
  expect(await appliedMigrations(db)).toEqual(NAMES);
});

it.each([
  [['--down', '0'], '--down takes a positive whole number'],
  [['--down', 'abc'], '--down takes a positive whole number'],
  [['--down', '-1'], '--down'],
  [['--down', '1.5'], '--down takes a positive whole number'],
  [['--down'], "Option '--down <value>' argument missing"],
  [['--to', NAMES[0]!, '--down', '1'], 'give --to or --down, not both'],
  [['--sideways'], "Unknown option '--sideways'"],
  [['up'], 'Unexpected argument'],
])('%j exits 2 with the usage and changes nothing', async (args, message) => {
  const out = await cli(...args);
  expect(out.code).toBe(2);
  expect(out.stderr).toContain(message);
  expect(out.stderr).toContain('usage: db:migrate');
  expect(await appliedMigrations(db)).toEqual(NAMES);
});

it('--help prints the usage and exits 0', async () => {
  expect(await cli('--help')).toMatchObject({ code: 0, stdout: expect.stringContaining('db:migrate --down <n> [--yes]') });
});
