import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { REPO_ROOT, TEST_ADMIN_DATABASE_URL } from '@conveyor/testkit';
import { Client } from 'pg';

// `npm test` begins by dropping the test databases earlier runs left behind. Another run going
// on the same server (another worktree's npm test) has databases that look just the same: they
// must stay. beginTestRun (scripts/lib/database.mjs) marks a run with a shared advisory lock and
// drops only when no other run holds it. These tests use their own lock key and a database
// prefix of their own, so they never touch the databases of the runs around them.

const LOCK_KEY = 0x7e57_0f00 + Math.floor(Math.random() * 0xff);
const PREFIX = `conveyor_runs_${randomBytes(4).toString('hex')}_`;

/**
 * A child process that begins a run (the script is ESM, so it runs in its own node), prints what
 * it did as one JSON line, and holds its run until its stdin closes when `hold` is set.
 */
function beginRun(hold: boolean): { child: ChildProcess; result: Promise<{ dropped: number; concurrent: boolean }>; exited: Promise<number | null> } {
  const script = `
    import { beginTestRun } from ${JSON.stringify(path.join(REPO_ROOT, 'scripts', 'lib', 'database.mjs'))};
    const run = await beginTestRun(${JSON.stringify(REPO_ROOT)}, ${JSON.stringify(TEST_ADMIN_DATABASE_URL)}, { prefixes: [${JSON.stringify(PREFIX)}], lockKey: ${LOCK_KEY} });
    console.log(JSON.stringify({ dropped: run.dropped, concurrent: run.concurrent }));
    if (${hold}) await new Promise((resolve) => { process.stdin.on('data', () => undefined); process.stdin.on('end', resolve); });
    await run.end();`;
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['pipe', 'pipe', 'inherit'] });
  children.push(child);
  let out = '';
  const result = new Promise<{ dropped: number; concurrent: boolean }>((resolve, reject) => {
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('\n')) resolve(JSON.parse(out.split('\n')[0]!));
    });
    child.once('exit', (code) => reject(new Error(`the run exited (${code}) before saying what it did`)));
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, result, exited };
}

/** Every run started, so that a failed test leaves none holding its lock (or Jest's exit). */
const children: ChildProcess[] = [];
let admin: Client;
beforeAll(async () => {
  admin = new Client({ connectionString: TEST_ADMIN_DATABASE_URL });
  await admin.connect();
});
afterAll(async () => {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  const { rows } = await admin.query('select datname from pg_database where starts_with(datname, $1)', [PREFIX]);
  for (const { datname } of rows) await admin.query(`drop database if exists "${datname}"`);
  await admin.end();
});

const exists = async (name: string) => ((await admin.query('select 1 from pg_database where datname = $1', [name])).rowCount ?? 0) > 0;

it("leaves another run's databases alone while it goes, and drops them as leftovers once it has ended", async () => {
  const other = beginRun(true);
  expect(await other.result).toEqual({ dropped: 0, concurrent: false });
  // The other run's database, in use as far as anyone can tell.
  await admin.query(`create database "${PREFIX}in_use"`);

  const second = beginRun(false);
  expect(await second.result).toEqual({ dropped: 0, concurrent: true });
  expect(await second.exited).toBe(0);
  expect(await exists(`${PREFIX}in_use`)).toBe(true);

  // The other run ends (or dies: its session closes either way); what it left is a leftover now.
  other.child.stdin!.end();
  expect(await other.exited).toBe(0);
  const third = beginRun(false);
  expect(await third.result).toEqual({ dropped: 1, concurrent: false });
  expect(await exists(`${PREFIX}in_use`)).toBe(false);
}, 120_000);
