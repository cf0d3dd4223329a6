import { type AppStack, type RunningProcess, freePort, waitFor } from '@conveyor/testkit';
import { Client as Pg } from 'pg';
import { Client, createStack } from './support';

// Fault 11: the scheduler process stops (SIGSTOP, as a long GC pause or a starved core would
// stop it) across several due seconds of every-second schedules, then goes on. Every second
// fires exactly once, under each misfire policy: the seconds it was stopped for are late, but
// within the 60 s grace, so they are on time, not missed.

let stack: AppStack;
let client: Client;
let pg: Pg;
let scheduler: RunningProcess | undefined;
beforeAll(async () => {
  stack = await createStack({ env: { SCHEDULER_TICK_MS: '200', RECONCILE_INTERVAL_MS: '600000' } });
  const apiPort = await freePort();
  await stack.start('api', apiPort);
  client = new Client(`http://127.0.0.1:${apiPort}`, (await stack.createTenant('pause', 'growth')).api_key);
  pg = new Pg({ connectionString: stack.database.url });
  await pg.connect();
}, 60_000);
afterAll(async () => {
  scheduler?.child.kill('SIGCONT'); // a test that failed mid-pause must not leave it stopped
  await pg.end();
  await stack.stop();
}, 30_000);

/** The planned times of a schedule's fires, in whole seconds, oldest first. */
async function fireSeconds(scheduleId: string): Promise<number[]> {
  const { rows } = await pg.query('select planned_at from tasks where schedule_id = $1 order by planned_at', [scheduleId]);
  return rows.map((r: { planned_at: Date }) => r.planned_at.getTime() / 1000);
}

it('a scheduler stopped for 3 s fires every second it missed, exactly once, under every policy', async () => {
  const ids: Record<string, string> = {};
  for (const policy of ['skip', 'fire_once', 'fire_all']) {
    const { status, body } = await client.call('POST', '/schedules', {
      name: `every-second-${policy}`,
      task: 'ping',
      kind: 'cron',
      cron: '* * * * * *',
      misfire_policy: policy,
    });
    expect(status).toBe(201);
    ids[policy] = body.schedule_id;
  }
  scheduler = await stack.start('scheduler', await freePort());
  const running = scheduler;
  const atLeast = (count: number) =>
    waitFor(
      async () => {
        for (const id of Object.values(ids)) if ((await fireSeconds(id)).length < count) return undefined;
        return true;
      },
      `${count} fires of every schedule`,
      30_000,
      100,
    );
  await atLeast(3);

  // Stopped across several due seconds, as Postgres' clock counts them.
  const stoppedAt = (await pg.query('select extract(epoch from now())::float8 as t')).rows[0].t as number;
  running.child.kill('SIGSTOP');
  await new Promise((r) => setTimeout(r, 3500));
  running.child.kill('SIGCONT');
  const continuedAt = (await pg.query('select extract(epoch from now())::float8 as t')).rows[0].t as number;
  // Then it runs on until every schedule has fired a few seconds past the pause.
  await waitFor(
    async () => {
      for (const id of Object.values(ids)) if (((await fireSeconds(id)).at(-1) ?? 0) < continuedAt + 3) return undefined;
      return true;
    },
    'fires after the pause',
    30_000,
    100,
  );
  expect(await running.stop('SIGTERM')).toBe(0);

  for (const [policy, id] of Object.entries(ids)) {
    const seconds = await fireSeconds(id);
    const first = seconds[0]!;
    const last = seconds.at(-1)!;
    // Every second from the first fire to the last, once: none missing, none doubled.
    expect({ policy, seconds }).toEqual({ policy, seconds: Array.from({ length: last - first + 1 }, (_, i) => first + i) });
    // And the pause lies inside that run of seconds (three or more were due while stopped).
    expect(first).toBeLessThan(stoppedAt);
    expect(last).toBeGreaterThan(continuedAt);
    expect(seconds.filter((s) => s > stoppedAt && s < continuedAt).length).toBeGreaterThanOrEqual(3);
  }
}, 120_000);
