import { createHmac, timingSafeEqual } from 'node:crypto';
import { type IncomingMessage, type Server, type ServerResponse, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { PassThrough } from 'node:stream';
import { CostTracker, listBudgetAlertDeliveries, putBudgetAlert } from '@conveyor/cost-tracker';
import { type Database, createDb, createTenantWithKey, migrateUrl, schemaFingerprint } from '@conveyor/db';
import { createLogger } from '@conveyor/observability';
import { createTestDatabase, waitFor } from '@conveyor/testkit';
import { type Kysely, sql } from 'kysely';
import { type BudgetAlertSendSettings, sendDueBudgetAlerts } from '../src/budget-alert-sender';

interface Received {
  headers: IncomingMessage['headers'];
  raw: string;
}

/** A webhook receiver on loopback: answers each call with the next status of `statuses` (the last one repeats). */
async function startReceiver(statuses: (number | 'hang')[]): Promise<{ url: string; host: string; received: Received[]; close: () => Promise<void> }> {
  const received: Received[] = [];
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      received.push({ headers: req.headers, raw: Buffer.concat(chunks).toString('utf8') });
      const status = statuses[Math.min(received.length - 1, statuses.length - 1)]!;
      if (status === 'hang') return;
      res.writeHead(status, status === 429 ? { 'retry-after': '0' } : {}).end('ok');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const host = `127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url: `http://${host}/hooks/budget?token=sekrit-query-value`,
    host,
    received,
    close: () => new Promise((resolve) => (server.closeAllConnections(), server.close(() => resolve()))),
  };
}

/** What a receiver does with its secret: recompute the HMAC of "<t>.<raw body>" and compare. */
function verifies(secret: string, delivery: Received): boolean {
  const header = String(delivery.headers['x-conveyor-signature'] ?? '');
  const match = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(header);
  if (!match) return false;
  const expected = createHmac('sha256', secret).update(`${match[1]}.${delivery.raw}`).digest();
  return timingSafeEqual(expected, Buffer.from(match[2]!, 'hex'));
}

async function withDb(fn: (db: Kysely<Database>) => Promise<void>): Promise<void> {
  const testDb = await createTestDatabase({ key: schemaFingerprint(), migrate: migrateUrl });
  const db = createDb(testDb.url);
  try {
    await fn(db);
  } finally {
    await db.destroy();
    await testDb.drop();
  }
}

const quiet = createLogger({ service: 'test', stream: new PassThrough() });

/** A trial tenant (cap 5) with a webhook, whose spend then reaches `spendUsd`. */
async function tenantWithAlert(db: Kysely<Database>, url: string, spendUsd: number, thresholds = [50, 80, 100]) {
  const tenantId = (await createTenantWithKey(db, { name: 't', plan: 'trial' })).tenant.id;
  const { secret } = await putBudgetAlert(db, tenantId, { url, thresholds });
  const tracker = new CostTracker(db, quiet);
  const r = (await tracker.reserve(tenantId, spendUsd, { ttlMs: 60_000 }))!;
  await tracker.settle(r, { actionType: 'score_post', modelUsed: 'm', promptTokens: 1, completionTokens: 1, costUsd: spendUsd });
  return { tenantId, secret };
}

const settings = (host: string | null, over: Partial<BudgetAlertSendSettings> = {}): BudgetAlertSendSettings => ({
  allowHosts: host ? [host] : [],
  timeoutMs: 5_000,
  maxAttempts: 4,
  backoffMs: 1,
  ...over,
});

/** Runs passes until the tenant has no pending delivery left. */
async function sendUntilSettled(db: Kysely<Database>, tenantId: string, s: BudgetAlertSendSettings, logger = quiet) {
  return waitFor(async () => {
    await sendDueBudgetAlerts(db, s, { logger });
    const { deliveries } = await listBudgetAlertDeliveries(db, tenantId);
    return deliveries.some((d) => d.status === 'pending') ? undefined : deliveries;
  }, 'every budget alert delivered or failed');
}

jest.setTimeout(60_000);

it('posts one signed alert per threshold reached, once, which the receiver verifies with its secret; the secret never reaches a log', () =>
  withDb(async (db) => {
    const receiver = await startReceiver([204]);
    const lines = new PassThrough();
    let log = '';
    lines.on('data', (c: Buffer) => (log += c.toString()));
    const logger = createLogger({ service: 'test', stream: lines, level: 'debug' });
    try {
      const { tenantId, secret } = await tenantWithAlert(db, receiver.url, 4.2);
      const deliveries = await sendUntilSettled(db, tenantId, settings(receiver.host), logger);
      expect(deliveries.map((d) => [d.threshold, d.status, d.attempts])).toEqual([
        [50, 'delivered', 1],
        [80, 'delivered', 1],
      ]);
      // More passes send nothing again.
      await sendDueBudgetAlerts(db, settings(receiver.host), { logger });
      expect(receiver.received).toHaveLength(2);
      for (const delivery of receiver.received) {
        expect(verifies(secret, delivery)).toBe(true);
        expect(verifies(`${secret}x`, delivery)).toBe(false);
        expect(verifies(secret, { ...delivery, raw: delivery.raw.replace('"threshold":', '"threshold": ') })).toBe(false);
        expect(delivery.headers['content-type']).toBe('application/json');
      }
      const bodies = receiver.received.map((d) => JSON.parse(d.raw) as Record<string, unknown>).sort((a, b) => Number(a.threshold) - Number(b.threshold));
      expect(bodies).toEqual(
        [50, 80].map((threshold) => ({
          type: 'budget.threshold_crossed',
          tenant_id: tenantId,
          period_start: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T/),
          threshold,
          cap_usd: 5,
          spent_usd: 4.2,
          sent_at: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T/),
        })),
      );
      expect(log).toContain('budget alert delivered');
      expect(log).not.toContain(secret);
      expect(log).not.toContain('sekrit-query-value');
    } finally {
      await receiver.close();
    }
  }));

it('retries a 500, a 429 and a timeout with backoff and delivers; does not retry a 4xx', () =>
  withDb(async (db) => {
    const flaky = await startReceiver([500, 429, 'hang', 200]);
    const refusing = await startReceiver([404]);
    try {
      const a = await tenantWithAlert(db, flaky.url, 2.5, [50]);
      const b = await tenantWithAlert(db, refusing.url, 2.5, [50]);
      const s = { allowHosts: [flaky.host, refusing.host], timeoutMs: 500, maxAttempts: 5, backoffMs: 1 };
      const [delivered] = await sendUntilSettled(db, a.tenantId, s);
      // The third call hung past the time limit: a fourth came, and it was answered 200.
      expect(delivered).toMatchObject({ status: 'delivered', attempts: 4, last_error: null, delivered_at: expect.any(String) });
      expect(flaky.received).toHaveLength(4);
      // Every attempt is the same alert: one delivery id, each signed afresh.
      expect(new Set(flaky.received.map((r) => r.headers['x-conveyor-delivery'])).size).toBe(1);
      expect(flaky.received.every((r) => verifies(a.secret, r))).toBe(true);

      const [failed] = await sendUntilSettled(db, b.tenantId, s);
      expect(failed).toMatchObject({ status: 'failed', attempts: 1, last_error: 'the webhook answered 404; only 5xx and 429 are retried' });
      expect(refusing.received).toHaveLength(1);
    } finally {
      await Promise.all([flaky.close(), refusing.close()]);
    }
  }));

it('gives up after the last attempt, and a network error counts as one', () =>
  withDb(async (db) => {
    const gone = await startReceiver([200]);
    await gone.close();
    const { tenantId } = await tenantWithAlert(db, gone.url, 2.5, [50]);
    const [failed] = await sendUntilSettled(db, tenantId, settings(gone.host, { maxAttempts: 3 }));
    expect(failed).toMatchObject({ status: 'failed', attempts: 3, last_error: expect.stringMatching(/attempt 3 of 3, the last/) });
    expect(failed!.last_error).not.toContain('sekrit-query-value');
  }));

it('refuses a private address at delivery when the operator did not allow the host', () =>
  withDb(async (db) => {
    const receiver = await startReceiver([200]);
    try {
      const { tenantId } = await tenantWithAlert(db, receiver.url, 2.5, [50]);
      const [failed] = await sendUntilSettled(db, tenantId, settings(null));
      expect(failed).toMatchObject({ status: 'failed', attempts: 1, last_error: expect.stringMatching(/resolves to .*loopback/) });
      // A public name that resolves to a private address is refused the same way (DNS answered by the test).
      const other = await tenantWithAlert(db, 'https://hooks.example.com/in', 2.5, [50]);
      const [refused] = await sendUntilSettled(db, other.tenantId, { ...settings(null), resolve: async () => [{ address: '10.1.2.3', family: 4 }] });
      expect(refused).toMatchObject({ status: 'failed', last_error: expect.stringMatching(/hooks\.example\.com.*resolves to .*private/) });
      expect(receiver.received).toHaveLength(0);
    } finally {
      await receiver.close();
    }
  }));

it('waits its backoff before the next attempt, doubling it each time', () =>
  withDb(async (db) => {
    const receiver = await startReceiver([503]);
    try {
      const { tenantId } = await tenantWithAlert(db, receiver.url, 2.5, [50]);
      const s = settings(receiver.host, { backoffMs: 600_000 });
      const waits: number[] = [];
      for (let attempt = 1; attempt <= 2; attempt++) {
        await sendDueBudgetAlerts(db, s, { logger: quiet });
        const row = await db
          .selectFrom('budget_alert_deliveries')
          .select([sql<number>`extract(epoch from next_attempt_at - now())`.as('wait'), 'attempts', 'status'])
          .where('tenant_id', '=', tenantId)
          .executeTakeFirstOrThrow();
        expect(row).toMatchObject({ attempts: attempt, status: 'pending' });
        waits.push(Number(row.wait));
        // Not due yet: another pass sends nothing. Then make it due, as time passing would.
        await sendDueBudgetAlerts(db, s, { logger: quiet });
        expect(receiver.received).toHaveLength(attempt);
        await db
          .updateTable('budget_alert_deliveries')
          .set({ next_attempt_at: new Date(0) })
          .where('tenant_id', '=', tenantId)
          .execute();
      }
      // 10 minutes, then 20 (a minute of slack for a slow machine between the write and the read).
      expect(waits[0]).toBeGreaterThan(540);
      expect(waits[0]).toBeLessThanOrEqual(600);
      expect(waits[1]).toBeGreaterThan(1140);
      expect(waits[1]).toBeLessThanOrEqual(1200);
    } finally {
      await receiver.close();
    }
  }));
