import type { Database, Plan } from '@conveyor/db';
import { CompiledQuery, type Kysely, type Transaction, sql } from 'kysely';
import { RESERVE_WITH_ACTION, type ReserveRequest } from './reserve-batch';

/** A call refused because its plan's per-action limit is used up this period. */
export interface ActionLimitRefusal {
  plan: Plan;
  action: string;
  /** Calls the plan allows per billing period. */
  limit: number;
  /** Calls of the action counted this period (settled and in flight). */
  used: number;
}

/** What one reservation request got: its reservation's id, a limit's refusal, or undefined (the cap, or no budget row yet). */
export type ReserveAnswer = string | ActionLimitRefusal | undefined;

/**
 * Calls of each action the tenant made in the period: settled ones (usage rows, filed under the
 * period their reservation was charged to) and those in flight (held reservations that recorded
 * their action). Released and expired reservations gave their call back. Run under the budget
 * row's lock, in a statement that starts after the lock was taken, it sees every reservation and
 * settle that held the lock before.
 */
export async function actionCallsUsed(db: Kysely<Database>, tenantId: string, periodStart: string, actions: string[]): Promise<Map<string, number>> {
  const { rows } = await sql<{ action: string; used: number }>`
    select a.action,
           (select count(*) from usage_tracking u where u.tenant_id = ${tenantId} and u.period_start = ${periodStart}::timestamptz and u.action_type = a.action)::int
         + (select count(*) from budget_reservations r
             where r.tenant_id = ${tenantId} and r.period_start = ${periodStart}::timestamptz and r.action_type = a.action and r.status = 'held')::int as used
      from unnest(${actions}::text[]) a(action)`.execute(db);
  return new Map(rows.map((r) => [r.action, r.used]));
}

/**
 * Reserves for requests of one tenant of which some are under a per-action limit, in one
 * transaction: lock the budget row of the current period, count the limited actions' calls
 * (a statement begun after the lock, so it sees every earlier holder's reservations: counting
 * in the locking statement itself would read a snapshot from before the wait), refuse the
 * requests past their action's limit (smallest first, as the cap does), and reserve the rest
 * with the one reservation statement, which records their action. Two processes reserving the
 * last allowed call take the lock in turn, and the second counts the first's reservation.
 */
export async function reserveLimitedBatch(db: Kysely<Database>, requests: ReserveRequest[]): Promise<ReserveAnswer[]> {
  const tenantId = requests[0]!.tenantId;
  return db.transaction().execute(async (trx) => {
    const { rows } = await sql<{ period_start: string; plan: Plan }>`
      select tb.period_start::text as period_start, t.plan from tenant_budgets tb join tenants t on t.id = tb.tenant_id
       where tb.tenant_id = ${tenantId} and tb.period_start = conveyor_period_start(t.billing_anchor, now())
         for update of tb`.execute(trx);
    const budget = rows[0];
    if (!budget) return requests.map(() => undefined);
    const limitOf = (r: ReserveRequest) => r.limit?.perPlan[budget.plan];
    const limited = [...new Set(requests.filter((r) => limitOf(r) !== undefined).map((r) => r.limit!.action))];
    const used = limited.length ? await actionCallsUsed(trx, tenantId, budget.period_start, limited) : new Map<string, number>();

    const answers: ReserveAnswer[] = requests.map(() => undefined);
    const allowed: number[] = [];
    const taken = new Map<string, number>();
    const order = requests.map((_, i) => i).sort((a, b) => requests[a]!.amountUsd - requests[b]!.amountUsd || a - b);
    for (const i of order) {
      const request = requests[i]!;
      const limit = limitOf(request);
      if (limit === undefined) {
        allowed.push(i);
        continue;
      }
      const action = request.limit!.action;
      const count = (used.get(action) ?? 0) + (taken.get(action) ?? 0);
      if (count >= limit) answers[i] = { plan: budget.plan, action, limit, used: count };
      else {
        taken.set(action, (taken.get(action) ?? 0) + 1);
        allowed.push(i);
      }
    }
    if (allowed.length) {
      allowed.sort((a, b) => a - b);
      const ids = await reserveWithActions(
        trx,
        tenantId,
        allowed.map((i) => ({ request: requests[i]!, recordAction: limitOf(requests[i]!) !== undefined })),
      );
      allowed.forEach((i, n) => (answers[i] = ids[n]));
    }
    return answers;
  });
}

/** The reservation statement for requests in a transaction (unnamed: a transaction object has no named statements). */
async function reserveWithActions(trx: Transaction<Database>, tenantId: string, items: { request: ReserveRequest; recordAction: boolean }[]) {
  const { rows } = await trx.executeQuery<{ i: number; id: string }>(
    CompiledQuery.raw(RESERVE_WITH_ACTION, [
      tenantId,
      items.map((x) => x.request.amountUsd),
      items.map((x) => x.request.taskId),
      items.map((x) => x.request.ttlMs),
      items.map((x) => (x.recordAction ? x.request.limit!.action : null)),
    ]),
  );
  const ids: (string | undefined)[] = items.map(() => undefined);
  for (const row of rows) ids[row.i - 1] = row.id;
  return ids;
}
