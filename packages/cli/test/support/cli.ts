import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { createAdminKey, createDb, createTenantWithKey, migrateUrl, schemaFingerprint } from '@conveyor/db';
import { AppStack, freePort, waitFor } from '@conveyor/testkit';
import { run } from '../../src/cli';

const MAIN = path.join(__dirname, '../../dist/main.js');

export interface CliRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** A command line under way (in this process, or a child process), its output so far, and its end. */
export interface CliRunning {
  output: () => { stdout: string; stderr: string };
  done: Promise<CliRun>;
}

/** A running `conveyor` child process. */
export interface CliProcess extends CliRunning {
  child: ChildProcess;
}

/** The environment without any CONVEYOR_* of whoever runs the tests, with a config file of its own. */
function baseEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(process.env)) if (!key.startsWith('CONVEYOR_') && value !== undefined) env[key] = value;
  env.CONVEYOR_CONFIG = path.join(mkdtempSync(path.join(tmpdir(), 'conveyor-cli-')), 'config.json');
  return env;
}

/** A stream that keeps what is written to it (a pipe, as a child's stdout is here: not a terminal). */
function collector(): { stream: Writable; text: () => string } {
  let text = '';
  const stream = new Writable({
    write(chunk: Buffer | string, _encoding, callback) {
      text += chunk.toString();
      callback();
    },
  });
  return { stream, text: () => text };
}

/**
 * Runs a command line through the CLI's own entry (`run` of src/cli.ts, which src/main.ts calls
 * with the process's streams) in this process: the argv, environment and streams are the
 * test's, the exit code is what the bin would set. No Node.js start per command; the bin
 * itself is proven by the tests that use spawnCli.
 */
export function startCli(args: string[], env: Record<string, string> = {}): CliRunning {
  const stdout = collector();
  const stderr = collector();
  const done = run(args, { stdout: stdout.stream, stderr: stderr.stream, env: { ...baseEnv(), ...env }, secrets: [] }).then((code) => ({
    code,
    signal: null,
    stdout: stdout.text(),
    stderr: stderr.text(),
  }));
  return { output: () => ({ stdout: stdout.text(), stderr: stderr.text() }), done };
}

/** Runs a command line to its end, in this process. */
export function cli(args: string[], env: Record<string, string> = {}): Promise<CliRun> {
  return startCli(args, env).done;
}

/** Starts the built CLI (dist/main.js) as a child process (stdin closed, stdout and stderr pipes: not terminals). */
export function spawnCli(args: string[], env: Record<string, string> = {}): CliProcess {
  const child = spawn(process.execPath, [MAIN, ...args], { env: { ...baseEnv(), ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const done = new Promise<CliRun>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
  return { child, output: () => ({ stdout, stderr }), done };
}

/** Waits until the running CLI has written `text` on stderr. */
export function stderrShows(running: CliRunning, text: string | RegExp): Promise<true> {
  return waitFor(
    async () => {
      const { stderr } = running.output();
      return (typeof text === 'string' ? stderr.includes(text) : text.test(stderr)) || undefined;
    },
    `the CLI to print ${String(text)} on stderr`,
    60_000,
  );
}

export interface CliStack {
  baseUrl: string;
  /** A new tenant's API key (each test its own tenant). */
  tenantKey: () => Promise<string>;
  /** An admin key. */
  adminKey: () => Promise<string>;
  /** The environment that points the CLI at this stack with that key. */
  envFor: (apiKey: string) => Record<string, string>;
  /** Closes this file's connection (the stack is stopped by stack-teardown.ts). */
  close: () => Promise<void>;
}

/**
 * Starts the real API and the monitoring worker (which runs ping and test_task) as processes:
 * once for every test file of the package, by stack-setup.ts (Jest's globalSetup).
 */
export async function startCliStack(): Promise<{ stack: AppStack; baseUrl: string }> {
  const stack = await AppStack.create({
    template: { key: schemaFingerprint(), migrate: migrateUrl },
    // Retries of test_task come after 0.1 to 0.5 s rather than the default 1 to 60 s.
    env: { TASK_OVERRIDES: JSON.stringify({ test_task: { backoff: { baseMs: 100, maxMs: 500 } } }) },
  });
  try {
    const apiPort = await freePort();
    await Promise.all([stack.start('api', apiPort), stack.start('worker-monitoring', await freePort())]);
    return { stack, baseUrl: `http://127.0.0.1:${apiPort}` };
  } catch (error) {
    await stack.stop();
    throw error;
  }
}

/** The stack stack-setup.ts started, as a test file uses it. */
export function cliStack(): CliStack {
  const baseUrl = process.env.CLI_TEST_BASE_URL;
  const databaseUrl = process.env.CLI_TEST_DATABASE_URL;
  if (!baseUrl || !databaseUrl)
    throw new Error("CLI_TEST_BASE_URL is not set: run these tests with this package's jest.config.js (its globalSetup starts the stack)");
  // Tenants and admin keys are made in this process, as the tenant CLI makes them (its own
  // process is exercised by tests/e2e): a Node.js start fewer per test.
  const db = createDb(databaseUrl, { max: 1, applicationName: 'cli-tests' });
  let tenants = 0;
  const file = randomBytes(4).toString('hex');
  return {
    baseUrl,
    tenantKey: async () => (await createTenantWithKey(db, { name: `cli-test-${file}-${++tenants}`, plan: 'starter' })).apiKey,
    adminKey: () => createAdminKey(db),
    envFor: (apiKey) => ({ CONVEYOR_BASE_URL: baseUrl, CONVEYOR_API_KEY: apiKey }),
    close: () => db.destroy(),
  };
}
