import { randomUUID } from 'node:crypto';
import { PassThrough } from 'node:stream';
import { TaskPolicies, X_MEDIA_KINDS, X_TOKEN_ENV_PREFIX } from '@conveyor/contracts';
import {
  type Database,
  type PostRow,
  createDb,
  createPost,
  createTenantWithKey,
  createXAccount,
  findPost,
  insertTask,
  migrateUrl,
  schemaFingerprint,
} from '@conveyor/db';
import { DryRunXClient, RedisXRateLimiter, XApiClient, createSecretsProvider, safeFetch } from '@conveyor/integrations';
import { createLogger } from '@conveyor/observability';
import { FollowUpTasks, type RunOutcome, TaskProducer, groupCommitWritesFor, runTaskJob } from '@conveyor/queue';
import { XSimulator } from '@conveyor/sim';
import { createTestDatabase, createTestRedis, deleteKeysWithPrefix, uniquePrefix } from '@conveyor/testkit';
import type { Kysely } from 'kysely';
import { publishingHandlers } from '../src/handlers';
import type { PublishingDeps } from '../src/publishing-deps';

const ACME = { token: 'tok-acme-worker', id: '1800000000000000001', username: 'acme_worker', tier: 'pro' as const };

/**
 * The publishing handlers run through the real task runtime (claim, attempt, outcome writes)
 * against a private Postgres database, Redis (the limiter, the follow-up jobs) and the X
 * simulator in this process. Tasks are run one delivery at a time with `run`.
 */
export async function publishingHarness(options: { dryRun?: boolean; tokens?: Record<string, string> } = {}) {
  const x = new XSimulator({ accounts: [ACME] });
  const base = await x.listen();
  const testDb = await createTestDatabase({ key: schemaFingerprint(), migrate: migrateUrl });
  const db: Kysely<Database> = createDb(testDb.url);
  const redis = createTestRedis();
  const prefix = uniquePrefix('publishing');
  const producer = new TaskProducer(redis, prefix);
  const policies = new TaskPolicies();
  const logs = new PassThrough();
  let logText = '';
  logs.on('data', (chunk: Buffer) => (logText += chunk.toString()));
  const logger = createLogger({ service: 'test', stream: logs });
  const limiter = new RedisXRateLimiter(redis, { keyPrefix: prefix });
  const env = { X_TOKEN_ACME: ACME.token, ...options.tokens };
  const deps: PublishingDeps = {
    db,
    x: options.dryRun ? new DryRunXClient(logger) : new XApiClient({ baseUrl: base, limiter, logger, timeoutMs: 10_000 }),
    secrets: createSecretsProvider({ env, envNamePrefix: X_TOKEN_ENV_PREFIX }),
    fetchMedia: (ref, signal) => safeFetch(ref.url, { maxBytes: X_MEDIA_KINDS[ref.kind].maxBytes, allowedTypes: X_MEDIA_KINDS[ref.kind].mimeTypes, signal }),
    followUps: new FollowUpTasks(db, producer, policies),
    metricsStages: ['15m', '1h'],
    staleHoldMs: 600_000,
  };
  const handlers = publishingHandlers(deps);
  const tenantId = (await createTenantWithKey(db, { name: 'publisher', plan: 'growth' })).tenant.id;
  const account = await createXAccount(db, { tenant_id: tenantId, handle: ACME.username, api_tier: 'pro', token_secret_ref: 'env:X_TOKEN_ACME' });

  const control = async (method: string, path: string, body?: unknown) =>
    (await fetch(`${base}/_sim/${path}`, { method, body: body === undefined ? undefined : JSON.stringify(body) })).json() as Promise<
      Record<string, unknown> & { posts?: unknown; requests?: unknown }
    >;

  return {
    db,
    deps,
    tenantId,
    account,
    control,
    logs: () => logText,
    simPosts: async () => (await control('GET', 'posts')).posts as { id: string; text: string; media_ids: string[] }[],
    creates: async () =>
      ((await control('GET', 'requests')).requests as { endpoint?: string; status: number }[]).filter((r) => r.endpoint === 'POST /2/tweets'),
    /** Another X account of the tenant (its own rate-limit budget), with its token's reference. */
    newAccount: async (handle: string, tokenSecretRef: string) =>
      (await createXAccount(db, { tenant_id: tenantId, handle, api_tier: 'pro', token_secret_ref: tokenSecretRef })).id,
    /** A post in `queued`, as the publish endpoint leaves it. */
    queuedPost: async (text: string, accountId = account.id): Promise<PostRow> => {
      const post = await createPost(db, { tenant_id: tenantId, account_id: accountId, text });
      await db.updateTable('posts').set({ status: 'queued' }).where('id', '=', post.id).execute();
      return (await findPost(db, post.id))!;
    },
    /** A task row for the handlers, with its attempts. */
    task: (task: string, payload: unknown, maxAttempts = 6) =>
      insertTask(db, { id: randomUUID(), tenant_id: tenantId, task, queue: 'publishing', payload, max_attempts: maxAttempts }),
    /** One delivery of a task through the real runtime. */
    run: (taskId: string): Promise<RunOutcome> =>
      runTaskJob(
        { queue: 'publishing', handlers: handlers as never, policies, logger, writes: groupCommitWritesFor(db), random: () => 0.5 },
        { task_id: taskId },
      ),
    taskRow: (id: string) => db.selectFrom('tasks').selectAll().where('id', '=', id).executeTakeFirstOrThrow(),
    post: async (id: string) => (await findPost(db, id))!,
    close: async () => {
      await producer.close();
      redis.disconnect();
      await deleteKeysWithPrefix(prefix);
      await db.destroy();
      await testDb.drop();
      await x.close();
    },
  };
}

export type PublishingHarness = Awaited<ReturnType<typeof publishingHarness>>;
