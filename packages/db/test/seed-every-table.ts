import { randomUUID } from 'node:crypto';
import { type Kysely, sql } from 'kysely';
import type { Database } from '../src';

const SYSTEM_TENANT = '00000000-0000-4000-8000-000000000000';
let round = 0;

/**
 * Writes representative rows into every table of the latest schema, as the apps would: two
 * tenants with keys and an admin key, tasks in every state with their attempt history (lost,
 * released, deferred, failed attempts), idempotency keys, a schedule's fire, tags and metadata,
 * task tokens and logs, a dead letter (one acknowledged), budgets, reservations, usage, budget
 * alerts and deliveries, a chat, a dataset session with versions and chunks, X accounts, posts in
 * several states with metrics (a seconds stage too), ingestion records, runs (a deferred one) and
 * sources on the system tenant's schedules, and console sessions. Each call adds new rows, so it
 * can run again on the same database.
 */
export async function seedEveryTable(db: Kysely<Database>): Promise<void> {
  const n = ++round;
  const run = (query: ReturnType<typeof sql>) => query.execute(db);
  const [acme, globex] = [randomUUID(), randomUUID()];
  await run(sql`insert into tenants (id, name, plan, billing_anchor) values
    (${acme}, ${`acme-${n}`}, 'starter', '2026-01-31T10:00:00Z'), (${globex}, ${`globex-${n}`}, 'trial', default)`);
  await run(sql`insert into tenants (id, name, plan) values (${SYSTEM_TENANT}, 'conveyor-system', 'growth') on conflict (id) do nothing`);
  const key = randomUUID();
  await run(sql`insert into api_keys (id, tenant_id, is_admin, key_hash, key_prefix, revoked_at) values
    (${key}, ${acme}, false, ${`hash-a-${n}`}, 'cvk_aaaaaa', null),
    (default, ${globex}, false, ${`hash-g-${n}`}, 'cvk_gggggg', now()),
    (default, null, true, ${`hash-admin-${n}`}, 'cvk_admin0', null)`);
  await run(sql`insert into console_sessions (session_hash, api_key_id, expires_at, absolute_expires_at)
    values (${`session-${n}`}, ${key}, now() + interval '30 minutes', now() + interval '12 hours')`);

  const schedule = randomUUID();
  await run(sql`insert into schedules (id, tenant_id, name, kind, cron, task, payload, next_run_at) values
    (${schedule}, ${acme}, 'nightly', 'cron', '0 3 * * *', 'ping', '{"campaign_id":"c1"}', now() + interval '1 day')`);
  await run(sql`insert into schedules (tenant_id, name, kind, rrule, dtstart, timezone, task, payload, misfire_policy, enabled) values
    (${globex}, 'weekly', 'rrule', 'FREQ=WEEKLY', '20260101T090000', 'Europe/Paris', 'ping', '{}', 'fire_all', false)`);

  const history = (...outcomes: string[]) =>
    JSON.stringify(
      outcomes.map((outcome, i) => ({
        attempt: i + 1,
        started_at: '2026-12-01T00:00:00Z',
        finished_at: '2026-12-01T00:00:05Z',
        outcome,
        error: outcome === 'retry' || outcome === 'failure' ? { type: 'Boom', message: `attempt ${i + 1}` } : null,
        worker: 'worker-1',
      })),
    );
  const ids = Object.fromEntries(['pending', 'started', 'progress', 'retry', 'success', 'failure', 'revoked', 'fired', 'other'].map((s) => [s, randomUUID()]));
  await run(sql`insert into tasks (id, tenant_id, task, queue, status, payload, result, error, progress, attempt, max_attempts, started_at, finished_at,
                                   priority, idempotency_key, next_attempt_at, expires_at, schedule_id, planned_at, attempt_history, replayed_at_attempt,
                                   tags, metadata, origin, worker, requeued_by)
    values
    (${ids.pending}, ${acme}, 'ping', 'monitoring', 'PENDING', '{"campaign_id":"c1"}', null, null, 0, 0, 3, null, null,
       1, ${`idem-${n}`}, null, null, null, null, '[]', 0, '{urgent,team=a}', '{"source":"test"}', 'api', null, null),
    (${ids.started}, ${acme}, 'summarize', 'analysis', 'STARTED', '{}', null, null, 0, 2, 3, now(), null,
       0, null, null, null, null, null, ${history('lost')}, 0, '{}', null, 'batch', 'worker-2', null),
    (${ids.progress}, ${acme}, 'summarize', 'analysis', 'PROGRESS', '{}', null, null, 40, 3, 4, now(), null,
       0, null, null, null, null, null, ${history('released', 'retry')}, 0, '{}', null, 'api', 'worker-3', null),
    (${ids.retry}, ${acme}, 'generate', 'generation', 'RETRY', '{}', null, null, 0, 2, 5, now(), null,
       0, null, now() + interval '1 minute', null, null, null, ${history('deferred', 'retry')}, 0, '{}', null, 'chat', null, null),
    (${ids.success}, ${acme}, 'ping', 'monitoring', 'SUCCESS', '{}', '{"ok":true}', null, 100, 2, 3, now(), now(),
       0, null, null, now() + interval '1 day', null, null, ${history('retry', 'success')}, 0, '{done}', '{"k":1}', 'api', 'worker-1', null),
    (${ids.failure}, ${acme}, 'scrape', 'scraping', 'FAILURE', '{}', null, '{"type":"Boom","message":"no"}', 0, 3, 3, now(), now(),
       0, null, null, now() + interval '1 day', null, null, ${history('retry', 'fenced', 'failure')}, 1, '{}', null, 'replay', 'worker-1', 'replay'),
    (${ids.revoked}, ${globex}, 'ping', 'monitoring', 'REVOKED', '{}', null, null, 0, 0, 3, null, now(),
       0, null, null, now() + interval '1 day', null, null, '[]', 0, '{}', null, 'api', null, null),
    (${ids.fired}, ${acme}, 'ping', 'monitoring', 'SUCCESS', '{"campaign_id":"c1"}', '{}', null, 100, 1, 1, now(), now(),
       0, null, null, now() + interval '1 day', ${schedule}, '2026-12-05T03:00:00Z', ${history('success')}, 0, '{}', null, 'schedule', 'worker-1', null),
    (${ids.other}, ${SYSTEM_TENANT}, 'ingest_source', 'scraping', 'PENDING', '{"source":"fred"}', null, null, 0, 0, 1, null, null,
       0, null, null, null, null, null, '[]', 0, '{}', null, 'schedule', null, null)`);
  await run(sql`insert into dead_letters (task_id, tenant_id, task, queue, error, attempts, acknowledged_at) values
    (${ids.failure}, ${acme}, 'scrape', 'scraping', '{"type":"Boom","message":"no"}', 3, null),
    (${ids.revoked}, ${globex}, 'ping', 'monitoring', '{"type":"Revoked","message":"gone"}', 1, now())`);
  await run(
    sql`insert into task_tokens (token_hash, task_id, tenant_id, expires_at) values (${`token-${n}`}, ${ids.success}, ${acme}, now() + interval '15 minutes')`,
  );
  await run(sql`insert into task_logs (task_id, tenant_id, attempt, level, message, fields, at) values
    (${ids.success}, ${acme}, 1, 'warn', 'slow', '{"ms":900}', now()), (${ids.success}, ${acme}, 2, 'info', 'done', null, now())`);

  await run(sql`insert into tenant_budgets (tenant_id, period_start, cap_usd, spent_usd, reserved_usd, alerted_pct) values
    (${acme}, '2026-11-30T10:00:00Z', 10, 4.5, 0.25, 50)`);
  await run(sql`insert into budget_reservations (tenant_id, period_start, task_id, amount_usd, status, expires_at) values
    (${acme}, '2026-11-30T10:00:00Z', ${ids.retry}, 0.25, 'held', now() + interval '15 minutes'),
    (${acme}, '2026-11-30T10:00:00Z', ${ids.success}, 0.5, 'settled', now())`);
  await run(sql`insert into usage_tracking (tenant_id, task_id, action_type, campaign_id, model_used, prompt_tokens, completion_tokens, cost_usd, generation_id, attempt, period_start, created_at) values
    (${acme}, ${ids.success}, 'summarize', 'c1', 'sim/model', 100, 20, 0.5, 'gen-1', 2, '2026-11-30T10:00:00Z', '2026-12-01T00:00:00Z'),
    (${acme}, null, 'chat', null, 'sim/model', 10, 2, 0.01, null, null, '2026-11-30T10:00:00Z', '2026-12-02T00:00:00Z')`);
  await run(sql`insert into budget_alerts (tenant_id, url, thresholds, secret) values (${acme}, 'https://hooks.example/budget', '{50,80,100}', 'whsec')`);
  await run(sql`insert into budget_alert_deliveries (tenant_id, period_start, threshold, cap_usd, spent_usd, status, attempts, last_error, delivered_at) values
    (${acme}, '2026-11-30T10:00:00Z', 50, 10, 5, 'delivered', 1, null, now()), (${acme}, '2026-11-30T10:00:00Z', 80, 10, 8, 'pending', 2, 'HTTP 500', null)`);

  const [conversation, root, child] = [randomUUID(), randomUUID(), randomUUID()];
  await run(sql`insert into conversations (id, tenant_id, campaign_id) values (${conversation}, ${acme}, 'c1')`);
  await run(sql`insert into chat_messages (conversation_id, role, content, task_id) values
    (${conversation}, 'user', 'drop empty rows', ${ids.retry}), (${conversation}, 'assistant', 'done', null)`);
  await run(sql`insert into dataset_sessions (id, tenant_id, name, active_task_id) values (${conversation}, ${acme}, 'sales', ${ids.retry})`);
  await run(sql`insert into dataset_nodes (id, session_id, tenant_id, parent_id, row_count, columns, program, transformation, rows_affected, source, task_id) values
    (${root}, ${conversation}, ${acme}, null, 2, '[{"name":"a","type":"number","null_count":0}]', null, '', 0, '{"format":"csv","filename":"a.csv","bytes":10}', null),
    (${child}, ${conversation}, ${acme}, ${root}, 1, '[{"name":"a","type":"number","null_count":0}]', '{"op":"filter"}', 'kept 1 row', 1, null, ${ids.progress})`);
  await run(sql`update dataset_sessions set head_node_id = ${child} where id = ${conversation}`);
  await run(sql`insert into dataset_chunks (node_id, chunk_no, row_count, rows) values (${root}, 0, 2, '[[1],[2]]'), (${child}, 0, 1, '[[2]]')`);

  const account = randomUUID();
  await run(
    sql`insert into x_accounts (id, tenant_id, handle, api_tier, token_secret_ref) values (${account}, ${acme}, ${`acme_${n}`}, 'basic', 'env:X_TOKEN_ACME')`,
  );
  const [published, publishing] = [randomUUID(), randomUUID()];
  await run(sql`insert into posts (id, tenant_id, account_id, text, status, scheduled_at, x_post_id, published_at, attempts, media_ids,
                                   publish_request_id, publish_started_at, publishing_task_id, publishing_attempt) values
    (${published}, ${acme}, ${account}, 'hello', 'published', null, ${`x-${n}`}, now(), 1, '{m1}', null, null, null, null),
    (${publishing}, ${acme}, ${account}, 'working', 'publishing', null, null, null, 1, '{}', ${randomUUID()}, now(), ${ids.started}, 2),
    (default, ${acme}, ${account}, 'later', 'scheduled', now() + interval '1 hour', null, null, 0, '{}', null, null, null, null),
    (default, ${acme}, ${account}, 'draft', 'draft', null, null, null, 0, '{}', null, null, null, null)`);
  await run(sql`insert into metrics_snapshots (tenant_id, post_id, stage, impressions, likes) values
    (${acme}, ${published}, '30s', 10, 1), (${acme}, ${published}, '1h', 100, 5)`);

  const source = `src${n}`;
  await run(sql`insert into ingestion_records (source, external_id, content_hash, raw, occurred_on, country, series_id, value, title) values
    (${source}, 'r1', 'h1', '{"v":1}', '2026-11-01', 'FR', 'GDP', 1.5, 'one'), (${source}, 'r2', 'h2', '{"v":2}', null, null, null, null, null)`);
  await run(sql`insert into ingestion_runs (source, status, finished_at, error, pages, fetched, inserted) values
    (${source}, 'succeeded', now(), null, 1, 2, 2), (${source}, 'deferred', now(), null, 0, 0, 0),
    (${source}, 'failed', now(), '{"type":"Http","message":"503"}', 1, 0, 0), (${source}, 'running', null, null, 0, 0, 0)`);
  const systemSchedule = randomUUID();
  await run(sql`insert into schedules (id, tenant_id, name, kind, cron, task, payload) values
    (${systemSchedule}, ${SYSTEM_TENANT}, ${`ingestion:${source}`}, 'cron', '0 7 * * *', 'ingest_source', ${JSON.stringify({ source })})`);
  await run(sql`insert into ingestion_sources (source, schedule_id, watermark) values (${source}, ${systemSchedule}, now())`);
}
