import { migrateUrl, schemaFingerprint } from '@conveyor/db';
import { AppStack, freePort, waitFor } from '@conveyor/testkit';
import type { RunningProcess } from '@conveyor/testkit';
import type { Conveyor, ScheduleInput } from '@conveyor/client';
import { Client } from 'pg';
import { clientOf } from './support';

// Three scheduler processes against one database: every due fire becomes exactly one task,
// none missed, none doubled. Then one scheduler stopped across several due times and
// restarted: times within the 60 s grace all fire; older ones follow each misfire policy.

let stack: AppStack;
let conveyor: Conveyor;
let pg: Client;
beforeAll(async () => {
  stack = await AppStack.create({
    template: { key: schemaFingerprint(), migrate: migrateUrl },
    env: { SCHEDULER_TICK_MS: '200', RECONCILE_INTERVAL_MS: '60000' },
  });
  const apiPort = await freePort();
  const [tenant] = await Promise.all([stack.createTenant('clockwork', 'growth'), stack.start('api', apiPort)]);
  conveyor = clientOf(apiPort, tenant.api_key);
  pg = new Client({ connectionString: stack.database.url });
  await pg.connect();
}, 300_000);
afterAll(async () => {
  await pg.end();
  await stack.stop();
}, 30_000);

async function createSchedule(input: ScheduleInput): Promise<string> {
  return (await conveyor.schedules.create(input)).schedule_id;
}

async function fireTimes(scheduleId: string): Promise<number[]> {
  const { rows } = await pg.query('select planned_at from tasks where schedule_id = $1 order by planned_at', [scheduleId]);
  return rows.map((r: { planned_at: Date }) => r.planned_at.getTime());
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Waits (bounded, not timed) until every schedule has fired at least `count` times. */
async function untilFired(ids: string[], count: number, what: string): Promise<void> {
  // One query for all of them: a pg Client runs one query at a time (pg 9 refuses overlapping ones).
  const leastFired = async () =>
    (
      await pg.query<{ n: number }>(
        'select coalesce(min(n), 0)::int as n from (select count(t.id) as n from unnest($1::uuid[]) s(id) left join tasks t on t.schedule_id = s.id group by s.id) c',
        [ids],
      )
    ).rows[0]!.n;
  await waitFor(async () => ((await leastFired()) >= count ? true : undefined), what, 180_000, 250);
}

it('three scheduler processes fire every due time of every schedule exactly once: two hundred due times over ten seconds of schedule time', async () => {
  const ids = [];
  for (let i = 0; i < 20; i += 1)
    ids.push(await createSchedule({ name: `every-second-${i}`, task: 'ping', kind: 'cron', cron: '* * * * * *', misfire_policy: 'fire_all' }));
  const schedulers: RunningProcess[] = await Promise.all([0, 1, 2].map(async () => stack.start('scheduler', await freePort())));
  // 20 schedules × 10 s of every-second fires: 200 due times raced for by three processes,
  // however long a busy machine takes to get through them.
  await untilFired(ids, 10, 'every schedule to fire 10 times');
  await Promise.all(schedulers.map((s) => s.stop('SIGTERM')));
  for (const id of ids) {
    const times = await fireTimes(id);
    expect(times.length).toBeGreaterThanOrEqual(10);
    expect(new Set(times).size).toBe(times.length);
    for (let i = 1; i < times.length; i += 1) expect(times[i]! - times[i - 1]!).toBe(1000);
  }
  const { rows } = await pg.query('select count(*)::int as n, count(distinct (schedule_id, planned_at))::int as d from tasks where schedule_id is not null');
  expect(rows[0].n).toBe(rows[0].d);
  expect(rows[0].n).toBeGreaterThanOrEqual(200);
}, 480_000);

it('a scheduler stopped across several due times applies each misfire policy on restart', async () => {
  const all = await createSchedule({ name: 'gap-all', task: 'ping', kind: 'cron', cron: '* * * * * *', misfire_policy: 'fire_all' });
  const once = await createSchedule({ name: 'gap-once', task: 'ping', kind: 'cron', cron: '0 0 * * *', misfire_policy: 'fire_once' });
  const skip = await createSchedule({ name: 'gap-skip', task: 'ping', kind: 'cron', cron: '0 * * * *', misfire_policy: 'skip' });
  const first = await stack.start('scheduler', await freePort());
  await untilFired([all], 2, 'the first scheduler to fire twice');
  await first.stop('SIGTERM');
  const stoppedAt = Date.now();
  // Down for at least four seconds of wall time (due times pass whatever the machine's speed);
  // and the hourly one was last due three hours ago, the daily one three days ago (long past the grace).
  await pg.query(`update schedules set next_run_at = date_trunc('hour', now()) - interval '3 hours' where id = $1`, [skip]);
  await pg.query(`update schedules set next_run_at = date_trunc('day', now()) - interval '3 days' where id = $1`, [once]);
  await sleep(4000);
  const restartedAt = Date.now();
  const second = await stack.start('scheduler', await freePort());
  // Caught up: the every-second schedule has fired past the restart, and the daily one once.
  await waitFor(
    async () => ((await fireTimes(all)).some((t) => t >= restartedAt) && (await fireTimes(once)).length > 0 ? true : undefined),
    'the restarted scheduler to catch up',
    180_000,
    250,
  );
  await second.stop('SIGTERM');

  const inGap = (times: number[]) => times.filter((t) => t > stoppedAt && t < restartedAt - 1000);
  const allTimes = await fireTimes(all);
  for (let i = 1; i < allTimes.length; i += 1) expect(allTimes[i]! - allTimes[i - 1]!).toBe(1000); // every missed second fired
  expect(inGap(allTimes).length).toBeGreaterThanOrEqual(3);
  // One catch-up for the missed days (and today's midnight too, if that is within the grace).
  expect((await fireTimes(once)).filter((t) => t < restartedAt - 60_000)).toHaveLength(1);
  const skipped = await fireTimes(skip);
  expect(skipped.every((t) => t >= Date.now() - 3_600_000)).toBe(true); // none of the three missed hours
}, 300_000);
