import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { promisify } from 'node:util';
import { APPS as REGISTRY, type AppName, appEntry } from '@conveyor/config';
import { TEST_ADMIN_DATABASE_URL, TEST_REDIS_CLUSTER_NODES, TEST_REDIS_URL, TEST_THROUGH_PGBOUNCER } from './env';
import { type PrivatePgbouncer, startPrivatePgbouncer } from './private-pgbouncer';
import { type RunningProcess, startNode, waitUntilServing } from './processes';
import { type TemplateSpec, type TestDatabase, createTestDatabase } from './test-database';
import { deleteKeysWithPrefix, uniquePrefix } from './test-redis';

/** The repository root (this file runs from packages/testkit/dist). */
export const REPO_ROOT = path.resolve(__dirname, '../../..');

/** Every app's name, from the app registry (packages/config/src/apps.json). */
export const APPS: readonly AppName[] = REGISTRY.map((app) => app.name);

/**
 * How long start() waits for an app's /healthz: a bound for an app that never comes up, not
 * a measure of start-up speed. An app loads in ~2 s on an idle machine, but on two cores shared
 * with other test processes (and the CPU burner) it took more than 20 s, the bound this was.
 */
export const STARTUP_TIMEOUT_MS = 120_000;

export interface StackOptions {
  template: TemplateSpec;
  /** The Postgres server's maintenance database (a private server's, for fault tests). */
  adminDatabaseUrl?: string;
  /** A Redis of its own (a private server, for fault tests); by default the tests' Redis, or their cluster (TEST_REDIS_CLUSTER_NODES). */
  redisUrl?: string;
  /** Variables every process of the stack gets. */
  env?: Record<string, string>;
}

/**
 * One test file's private world of real processes: its own database and BullMQ prefix. With
 * TEST_PGBOUNCER=1, also its own PgBouncer in transaction mode in front of its Postgres
 * server: the apps and the CLI connect through it; `database.url` stays direct.
 */
export class AppStack {
  readonly processes: RunningProcess[] = [];
  private constructor(
    readonly database: TestDatabase,
    readonly prefix: string,
    private readonly redisUrl: string,
    /** host:port,… of the Redis Cluster the apps use (REDIS_CLUSTER_NODES), if any. */
    private readonly redisClusterNodes: string | undefined,
    private readonly extraEnv: Record<string, string>,
    readonly pgbouncer: PrivatePgbouncer | undefined,
  ) {}

  static async create(options: StackOptions): Promise<AppStack> {
    const adminUrl = options.adminDatabaseUrl ?? TEST_ADMIN_DATABASE_URL;
    const database = await createTestDatabase(options.template, adminUrl);
    const cluster = options.redisUrl ? undefined : TEST_REDIS_CLUSTER_NODES;
    const pgbouncer = TEST_THROUGH_PGBOUNCER ? await startPrivatePgbouncer({ postgresUrl: adminUrl }) : undefined;
    return new AppStack(database, uniquePrefix('stack'), options.redisUrl ?? TEST_REDIS_URL, cluster, options.env ?? {}, pgbouncer);
  }

  /** How the apps reach Postgres: directly, or through the stack's PgBouncer in transaction mode. */
  private get databaseEnv(): Record<string, string> {
    if (!this.pgbouncer) return { DATABASE_URL: this.database.url };
    return { DATABASE_URL: this.pgbouncer.urlFor(this.database.url), DATABASE_POOLER: 'transaction' };
  }

  get env(): Record<string, string> {
    return {
      ...this.databaseEnv,
      REDIS_URL: this.redisUrl,
      ...(this.redisClusterNodes ? { REDIS_CLUSTER_NODES: this.redisClusterNodes } : {}),
      BULLMQ_PREFIX: this.prefix,
      NODE_ENV: 'test',
      LOG_LEVEL: 'info',
      // The sources' system schedules start disabled, so no stack fires ingestion on its own;
      // a test that wants them enables them (env, or PATCH /ingestion/sources/{source}).
      INGESTION_AUTOSTART: 'false',
      ...this.extraEnv,
    };
  }

  /** Starts an app's built main.js (or any script: `{script, portVariable}`) and waits for its /healthz. */
  // A variable given as undefined is left unset in the child (not inherited from this process).
  async start(
    app: AppName | { script: string; portVariable: string; label: string },
    port: number,
    env: Record<string, string | undefined> = {},
  ): Promise<RunningProcess> {
    const [script, portVariable, label, healthPath] =
      typeof app === 'string'
        ? [path.join(REPO_ROOT, 'apps', app, 'dist', 'main.js'), appEntry(app).portVariable, app, appEntry(app).healthPath]
        : [app.script, app.portVariable, app.label, '/healthz'];
    // Our apps answer /healthz with their INSTANCE_ID: the answer must be this process's.
    const instance = typeof app === 'string' ? `${label}-${randomUUID()}` : undefined;
    const proc = startNode(script, { ...this.env, ...(instance ? { INSTANCE_ID: instance } : {}), [portVariable]: String(port), ...env }, label);
    this.processes.push(proc);
    await waitUntilServing(proc, `http://127.0.0.1:${port}${healthPath}`, label, STARTUP_TIMEOUT_MS, instance);
    return proc;
  }

  /** Runs the real tenant CLI and returns the key it printed. */
  async createTenant(name: string, plan: 'trial' | 'starter' | 'growth' = 'starter'): Promise<{ tenant_id: string; api_key: string }> {
    return JSON.parse(await this.cli(['--name', name, '--plan', plan, '--json']));
  }

  /** Runs the real CLI for an admin key. */
  async createAdminKey(): Promise<string> {
    return JSON.parse(await this.cli(['--admin', '--json'])).api_key;
  }

  private async cli(args: string[]): Promise<string> {
    const { stdout } = await promisify(execFile)(process.execPath, [path.join(REPO_ROOT, 'packages/db/dist/cli/create-tenant.js'), ...args], {
      env: { ...process.env, ...this.env },
    });
    return stdout;
  }

  async stop(): Promise<void> {
    await Promise.all(this.processes.map((p) => p.stop('SIGTERM')));
    await this.pgbouncer?.stop();
    // '' rather than undefined: this stack's Redis is a plain one unless it has cluster nodes.
    await deleteKeysWithPrefix(this.prefix, this.redisUrl, this.redisClusterNodes ?? '').catch(() => undefined);
    await this.database.drop().catch(() => undefined);
  }
}
