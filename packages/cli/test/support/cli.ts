import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { migrateUrl, schemaFingerprint } from '@conveyor/db';
import { AppStack, freePort, waitFor } from '@conveyor/testkit';

const MAIN = path.join(__dirname, '../../dist/main.js');

export interface CliRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** A running `conveyor` process, its output so far, and its end. */
export interface CliProcess {
  child: ChildProcess;
  output: () => { stdout: string; stderr: string };
  done: Promise<CliRun>;
}

/** The process's environment without any CONVEYOR_* of whoever runs the tests, with its own config file. */
function baseEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(process.env)) if (!key.startsWith('CONVEYOR_') && value !== undefined) env[key] = value;
  env.CONVEYOR_CONFIG = path.join(mkdtempSync(path.join(tmpdir(), 'conveyor-cli-')), 'config.json');
  return env;
}

/** Starts the built CLI as a child process (stdin closed, stdout and stderr pipes: not terminals). */
export function startCli(args: string[], env: Record<string, string> = {}): CliProcess {
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

/** Runs the CLI to its end. */
export function cli(args: string[], env: Record<string, string> = {}): Promise<CliRun> {
  return startCli(args, env).done;
}

/** Waits until the running CLI has written `text` on stderr. */
export function stderrShows(run: CliProcess, text: string | RegExp): Promise<true> {
  return waitFor(
    async () => {
      const { stderr } = run.output();
      return (typeof text === 'string' ? stderr.includes(text) : text.test(stderr)) || undefined;
    },
    `the CLI to print ${String(text)} on stderr`,
    60_000,
  );
}

export interface CliStack {
  stack: AppStack;
  baseUrl: string;
  /** A new tenant's API key (each test its own tenant). */
  tenantKey: () => Promise<string>;
  /** The environment that points the CLI at this stack with that key. */
  envFor: (apiKey: string) => Record<string, string>;
}

/** The real API (and the monitoring worker, which runs ping and test_task, when asked) as processes. */
export async function startCliStack(options: { worker: boolean }): Promise<CliStack> {
  const stack = await AppStack.create({
    template: { key: schemaFingerprint(), migrate: migrateUrl },
    // Retries of test_task come after 0.1 to 0.5 s rather than the default 1 to 60 s.
    env: { TASK_OVERRIDES: JSON.stringify({ test_task: { backoff: { baseMs: 100, maxMs: 500 } } }) },
  });
  const apiPort = await freePort();
  await Promise.all([stack.start('api', apiPort), options.worker ? stack.start('worker-monitoring', await freePort()) : undefined]);
  const baseUrl = `http://127.0.0.1:${apiPort}`;
  let tenants = 0;
  return {
    stack,
    baseUrl,
    tenantKey: async () => (await stack.createTenant(`cli-test-${++tenants}`)).api_key,
    envFor: (apiKey) => ({ CONVEYOR_BASE_URL: baseUrl, CONVEYOR_API_KEY: apiKey }),
  };
}
