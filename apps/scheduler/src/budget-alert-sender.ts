import { createHmac } from 'node:crypto';
import type { BudgetAlertEvent } from '@conveyor/contracts';
import { type DeliveryOutcome, type DueDelivery, claimDueDeliveries, recordDeliveryOutcome } from '@conveyor/cost-tracker';
import type { Database } from '@conveyor/db';
import { type HostResolver, SafeFetchError, safeFetch } from '@conveyor/integrations';
import type { Logger } from '@conveyor/observability';
import type { Kysely } from 'kysely';
import { Counter, type Registry } from 'prom-client';

export interface BudgetAlertSendSettings {
  /** BUDGET_ALERT_ALLOW_HOSTS: webhook hosts exempt from the private-address check. */
  allowHosts: readonly string[];
  timeoutMs: number;
  maxAttempts: number;
  /** Before the first retry; doubled each time, at most MAX_BACKOFF_MS. */
  backoffMs: number;
  /** Deliveries claimed per pass (default 20), sent at once. */
  batch?: number;
  /** How host names resolve (tests answer without DNS); the system resolver by default. */
  resolve?: HostResolver;
}

const MAX_BACKOFF_MS = 3_600_000;
const MAX_ANSWER_BYTES = 64 * 1024;

/** `t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>">`: what a receiver recomputes with its secret. */
function signatureHeader(secret: string, unixSeconds: number, rawBody: string): string {
  return `t=${unixSeconds},v1=${createHmac('sha256', secret).update(`${unixSeconds}.${rawBody}`).digest('hex')}`;
}

export function createBudgetAlertMetrics(registry: Registry): Counter<'result'> {
  return new Counter({
    name: 'conveyor_budget_alert_deliveries_total',
    help: 'Budget alert webhook calls by result: delivered, retry (5xx, 429, timeout, network) or failed (4xx, refused URL, out of attempts)',
    labelNames: ['result'] as const,
    registers: [registry],
  });
}

/**
 * One pass: claims the due budget alerts (leased, so a sender that dies is replaced), posts each
 * signed to its tenant's webhook through safeFetch (private addresses refused at every call, no
 * redirects), and records the outcome. 2xx: delivered. 5xx, 429, a timeout or a network error:
 * retried after the backoff (or the answer's Retry-After, if longer) until maxAttempts. Any other
 * answer or a refused URL: failed. The secret goes only into the HMAC; errors name the URL
 * without its query.
 */
export async function sendDueBudgetAlerts(
  db: Kysely<Database>,
  settings: BudgetAlertSendSettings,
  deps: { logger: Logger; results?: Counter<'result'> },
): Promise<Record<DeliveryOutcome['status'], number>> {
  const due = await claimDueDeliveries(db, { limit: settings.batch ?? 20, leaseMs: settings.timeoutMs + 60_000 });
  const report = { delivered: 0, retry: 0, failed: 0 };
  await Promise.all(
    due.map(async (delivery) => {
      const outcome = await send(delivery, settings);
      report[outcome.status] += 1;
      deps.results?.inc({ result: outcome.status });
      const recorded = await recordDeliveryOutcome(db, delivery, outcome);
      const fields = { tenant_id: delivery.tenantId, threshold_pct: delivery.threshold, attempt: delivery.attempts, recorded };
      if (outcome.status === 'delivered') deps.logger.info('budget alert delivered', fields);
      else
        deps.logger.warn(outcome.status === 'retry' ? 'budget alert not delivered; retrying later' : 'budget alert failed for good', {
          ...fields,
          error: outcome.error,
        });
    }),
  );
  return report;
}

async function send(delivery: DueDelivery, settings: BudgetAlertSendSettings): Promise<DeliveryOutcome> {
  const event: BudgetAlertEvent = {
    type: 'budget.threshold_crossed',
    tenant_id: delivery.tenantId,
    period_start: delivery.periodStart.toISOString(),
    threshold: delivery.threshold,
    cap_usd: delivery.capUsd,
    spent_usd: delivery.spentUsd,
    sent_at: new Date().toISOString(),
  };
  const body = JSON.stringify(event);
  const headers = {
    'content-type': 'application/json',
    'user-agent': 'Conveyor-Budget-Alerts',
    'x-conveyor-signature': signatureHeader(delivery.secret, Math.floor(Date.now() / 1000), body),
    'x-conveyor-delivery': delivery.id,
  };
  const retry = (error: string, retryAfterMs = 0): DeliveryOutcome => {
    if (delivery.attempts >= settings.maxAttempts)
      return { status: 'failed', error: `${error} (attempt ${delivery.attempts} of ${settings.maxAttempts}, the last)` };
    const backoff = Math.min(MAX_BACKOFF_MS, settings.backoffMs * 2 ** (delivery.attempts - 1));
    return { status: 'retry', error, delayMs: Math.min(MAX_BACKOFF_MS, Math.max(backoff, retryAfterMs)) };
  };
  try {
    const answer = await safeFetch(delivery.url, {
      method: 'POST',
      body,
      headers,
      maxBytes: MAX_ANSWER_BYTES,
      maxRedirects: 0,
      timeoutMs: settings.timeoutMs,
      allowHosts: settings.allowHosts,
      anyStatus: true,
      what: 'budget alert webhook answer',
      resolve: settings.resolve,
    });
    if (answer.status >= 200 && answer.status < 300) return { status: 'delivered' };
    const error = `the webhook answered ${answer.status}`;
    if (answer.status === 429 || answer.status >= 500) return retry(error, retryAfterMs(answer.headers.get('retry-after')));
    return { status: 'failed', error: `${error}; only 5xx and 429 are retried` };
  } catch (error) {
    if (!(error instanceof SafeFetchError)) throw error;
    return error.permanent ? { status: 'failed', error: error.message } : retry(error.message);
  }
}

/** Retry-After in seconds (a date form is ignored: the backoff applies). */
function retryAfterMs(header: string | null): number {
  const seconds = header === null ? NaN : Number(header);
  return Number.isFinite(seconds) && seconds > 0 ? seconds * 1000 : 0;
}
