import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { migrateUrl, schemaFingerprint } from '@conveyor/db';
import { type RunningProcess, TEST_REDIS_URL, type TestDatabase, createTestDatabase, deleteKeysWithPrefix, startNode, uniquePrefix, waitFor } from '@conveyor/testkit';

export const ROOT = path.resolve(__dirname, '../../..');
export const APPS = ['api', 'scheduler', 'worker-scraping', 'worker-analysis', 'worker-generation', 'worker-monitoring', 'worker-publishing'] as const;
export type AppName = (typeof APPS)[number];

/** The variable that sets each app's port. */
export const PORT_VARIABLE: Record<AppName, string> = {
  api: 'API_PORT',
  scheduler: 'SCHEDULER_PORT',
  'worker-scraping': 'WORKER_PORT',
  'worker-analysis': 'WORKER_PORT',
  'worker-generation': 'WORKER_PORT',
  'worker-monitoring': 'WORKER_PORT',
  'worker-publishing': 'WORKER_PORT',
};

/** One test file's private world: its own database and BullMQ prefix. */
export class Stack {
  readonly processes: RunningProcess[] = [];
  private constructor(
    readonly database: TestDatabase,
    readonly prefix: string,
  ) {}

  static async create(): Promise<Stack> {
    return new Stack(await createTestDatabase({ key: schemaFingerprint(), migrate: migrateUrl }), uniquePrefix('e2e'));
  }

  get env(): Record<string, string> {
    return { DATABASE_URL: this.database.url, REDIS_URL: TEST_REDIS_URL, BULLMQ_PREFIX: this.prefix, NODE_ENV: 'test', LOG_LEVEL: 'info' };
  }

  /** Starts an app's built main.js on the given port and waits for its /healthz. */
  async start(app: AppName, port: number, extraEnv: Record<string, string> = {}): Promise<RunningProcess> {
    const proc = startNode(path.join(ROOT, 'apps', app, 'dist', 'main.js'), { ...this.env, [PORT_VARIABLE[app]]: String(port), ...extraEnv }, app);
    this.processes.push(proc);
    await waitFor(
      async () => {
        if (proc.child.exitCode !== null) throw new Error(`${app} exited early:\n${proc.output()}`);
        const res = await fetch(`http://127.0.0.1:${port}/healthz`).catch(() => undefined);
        return res?.ok ? true : undefined;
      },
      `${app} to serve /healthz`,
      20_000,
    ).catch((error: Error) => {
      throw new Error(`${error.message}\n--- ${app} output ---\n${proc.output()}`);
    });
    return proc;
  }

  /** Runs the real tenant CLI and returns the key it printed. */
  async createTenant(name: string): Promise<{ tenant_id: string; api_key: string }> {
    const { stdout } = await promisify(execFile)(process.execPath, [path.join(ROOT, 'packages/db/dist/cli/create-tenant.js'), '--name', name, '--plan', 'starter', '--json'], {
      env: { ...process.env, ...this.env },
    });
    return JSON.parse(stdout);
  }

  async stop(): Promise<void> {
    await Promise.all(this.processes.map((p) => p.stop('SIGTERM')));
    await deleteKeysWithPrefix(this.prefix);
    await this.database.drop();
  }
}
