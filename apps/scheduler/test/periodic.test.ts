import { PassThrough } from 'node:stream';
import { randomUUID } from 'node:crypto';
import {
  createConsoleSession,
  createDb,
  createTaskToken,
  createTenantWithKey,
  findConsoleSession,
  findTaskToken,
  insertTask,
  migrateUrl,
  schemaFingerprint,
  upsertRecords,
} from '@conveyor/db';
import { createLogger } from '@conveyor/observability';
import { createTestDatabase } from '@conveyor/testkit';
import { sql } from 'kysely';
import { Counter, Registry } from 'prom-client';
import { startPeriodic } from '../src/periodic';
import { runRetention } from '../src/retention';

const logger = createLogger({ service: 'test', stream: new PassThrough() });

async function withDb<T>(fn: (db: ReturnType<typeof createDb>) => Promise<T>): Promise<T> {
  const testDb = await createTestDatabase({ key: schemaFingerprint(), migrate: migrateUrl });
  const db = createDb(testDb.url);
  try {
    return await fn(db);
  } finally {
    await db.destroy();
    await testDb.drop();
  }
}

describe('startPeriodic', () => {
  it('runs a job in one replica at a time, keeps going after a failed pass, and stops cleanly', () =>
    withDb(async (db) => {
      const runs = new Counter({ name: 'runs_total', help: 'x', labelNames: ['job', 'result'] as const, registers: [new Registry()] });
      let active = 0;
      let maxActive = 0;
      let passes = 0;
      const job = {
        name: 'demo',
        intervalMs: 20,
        lockKey: 777,
        run: async () => {
          active += 1;
          maxActive = Math.max(maxActive, active);
          passes += 1;
          await new Promise((r) => setTimeout(r, 30));
          active -= 1;
          if (passes === 2) throw new Error('one bad pass');
          return { passes };
        },
      };
      const replicas = [startPeriodic(job, { db, logger, runs }), startPeriodic(job, { db, logger, runs }), startPeriodic(job, { db, logger, runs })];
      await new Promise((r) => setTimeout(r, 1500));
      await Promise.all(replicas.map((stop) => stop()));
      const stoppedAt = passes;
      await new Promise((r) => setTimeout(r, 100));
      expect(maxActive).toBe(1);
      expect(passes).toBeGreaterThan(3);
      expect(passes).toBe(stoppedAt);
      const values = (await runs.get()).values;
      expect(values.find((v) => v.labels.result === 'error')?.value).toBe(1);
    }));
});

describe('runRetention', () => {
  it('deletes expired tasks in batches until none are left', () =>
    withDb(async (db) => {
      const { tenant } = await createTenantWithKey(db, { name: 'r', plan: 'trial' });
      await sql`insert into tasks (id, tenant_id, task, queue, payload, max_attempts, status, expires_at)
                select gen_random_uuid(), ${tenant.id}, 'ping', 'monitoring', '{}', 1, 'SUCCESS', now() - interval '1 minute'
                  from generate_series(1, 12000)`.execute(db);
      const kept = await insertTask(db, { id: randomUUID(), tenant_id: tenant.id, task: 'ping', queue: 'monitoring', payload: {}, max_attempts: 1 });
      expect(await runRetention(db, { deadLetters: 30, ingestionRuns: 90 })).toEqual({
        expired: 12_000,
        deadLetters: 0,
        ingestionRuns: 0,
        taskTokens: 0,
        consoleSessions: 0,
        reservationsFreed: 0,
      });
      const left = await db.selectFrom('tasks').select('id').execute();
      expect(left.map((r) => r.id)).toEqual([kept.id]);
    }));
});

describe('runRetention of task tokens', () => {
  it('deletes expired tokens in batches and keeps live ones', () =>
    withDb(async (db) => {
      const { tenant } = await createTenantWithKey(db, { name: 't', plan: 'trial' });
      const task = await insertTask(db, { id: randomUUID(), tenant_id: tenant.id, task: 'ping', queue: 'monitoring', payload: {}, max_attempts: 1 });
      await sql`insert into task_tokens (token_hash, task_id, tenant_id, expires_at)
                select md5(i::text), ${task.id}, ${tenant.id}, now() - interval '1 second' from generate_series(1, 6001) i`.execute(db);
      const live = (await createTaskToken(db, { taskId: task.id, tenantId: tenant.id, ttlSeconds: 60 }))!;
      expect((await runRetention(db, { deadLetters: 30, ingestionRuns: 90 })).taskTokens).toBe(6001);
      expect(await findTaskToken(db, live.token)).toMatchObject({ taskId: task.id });
      expect((await db.selectFrom('task_tokens').select('token_hash').execute()).length).toBe(1);
    }));
});

describe('runRetention of console sessions', () => {
  it('deletes expired sessions in batches and keeps live ones', () =>
    withDb(async (db) => {
      const { tenant } = await createTenantWithKey(db, { name: 'c', plan: 'trial' });
      const key = await db.selectFrom('api_keys').select('id').where('tenant_id', '=', tenant.id).executeTakeFirstOrThrow();
      await sql`insert into console_sessions (session_hash, api_key_id, expires_at, absolute_expires_at)
                select md5(i::text), ${key.id}, now() - interval '1 second', now() + interval '1 hour' from generate_series(1, 5001) i`.execute(db);
      const live = (await createConsoleSession(db, { apiKeyId: key.id, ttlSeconds: 60, maxLifetimeSeconds: 600 }))!;
      expect((await runRetention(db, { deadLetters: 30, ingestionRuns: 90 })).consoleSessions).toBe(5001);
      expect(await findConsoleSession(db, live.sessionId)).toMatchObject({ principal: { tenantId: tenant.id } });
      expect((await db.selectFrom('console_sessions').select('session_hash').execute()).length).toBe(1);
    }));
});

describe('runRetention of the ingestion audit trail', () => {
  it('closes runs left open by a lost worker, deletes finished runs older than their days, keeps recent ones and every record', () =>
    withDb(async (db) => {
      const old = sql`now() - interval '91 days'`;
      await sql`insert into ingestion_runs (source, status, started_at, finished_at)
                select 'fred', 'succeeded', ${old}, ${old} from generate_series(1, 6001)`.execute(db);
      await sql`insert into ingestion_runs (source, status, started_at, finished_at) values
                ('fred', 'failed', now() - interval '89 days', now() - interval '89 days'),
                ('gdelt', 'running', ${old}, null)`.execute(db);
      await upsertRecords(db, 'fred', [{ external_id: 'GDP:2026-01-01', raw: { value: '1' }, occurred_on: '2026-01-01' }]);
      const report = await runRetention(db, { deadLetters: 30, ingestionRuns: 90 });
      expect(report.ingestionRuns).toBe(6002);
      const left = await db.selectFrom('ingestion_runs').select(['source', 'status']).orderBy('source').execute();
      // The run left open for 91 days was closed as lost (then deleted as old: it is finished now).
      expect(left).toEqual([{ source: 'fred', status: 'failed' }]);
      expect(await db.selectFrom('ingestion_records').select('external_id').execute()).toEqual([{ external_id: 'GDP:2026-01-01' }]);
    }));
});
