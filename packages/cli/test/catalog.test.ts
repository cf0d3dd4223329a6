import { type CliStack, cli, cliStack } from './support/cli';

// schedules, usage, task-types and dead-letters: the CLI (in this process) against the real API and
// monitoring worker, each test with a tenant of its own.

const s: CliStack = cliStack();
afterAll(() => s.close());

const tenantEnv = async () => s.envFor(await s.tenantKey());
const json = async (args: string[], env: Record<string, string>) => {
  const run = await cli([...args, '--json'], env);
  if (run.code !== 0) throw new Error(`conveyor ${args.join(' ')} exited ${run.code}: ${run.stderr}`);
  return JSON.parse(run.stdout);
};

describe('schedules', () => {
  it('creates, lists, triggers, disables and enables a schedule', async () => {
    const env = await tenantEnv();
    const created = await json(
      [
        'schedules',
        'create',
        '--name',
        'nightly',
        '--task',
        'test_task',
        '--payload',
        '{"message":"night","steps":1,"step_ms":0}',
        '--cron',
        '0 3 * * *',
        '--timezone',
        'Europe/Paris',
      ],
      env,
    );
    expect(created).toMatchObject({ name: 'nightly', task: 'test_task', kind: 'cron', cron: '0 3 * * *', timezone: 'Europe/Paris', enabled: true });
    expect(created.next_fire_times.length).toBeGreaterThan(0);
    const id = created.schedule_id as string;

    const listed = await json(['schedules', 'list'], env);
    expect(listed.map((x: { schedule_id: string }) => x.schedule_id)).toEqual([id]);
    const table = await cli(['schedules', 'list'], env);
    expect(table.stdout).toMatch(new RegExp(`^${id}\\s+nightly\\s+test_task\\s+cron\\s+0 3 \\* \\* \\*\\s+Europe/Paris\\s+yes`, 'm'));

    // The trigger prints the task it fired, which the worker runs with the schedule's payload.
    const fired = await cli(['schedules', 'trigger', id], env);
    expect(fired.code).toBe(0);
    const taskId = fired.stdout.trim();
    const logs = await cli(['tasks', 'logs', taskId], env);
    expect(logs.code).toBe(0);
    expect(logs.stdout).toContain('result {"echo":"night"}');
    // The handler's own lines (test_task logs each step) come with the states.
    expect(logs.stdout).toMatch(/ INFO step 1 of (\d+) \{"step":1,"steps":\1\} \(attempt 1\)$/m);
    expect((await json(['tasks', 'get', taskId], env)).schedule_id).toBe(id);

    expect(await json(['schedules', 'disable', id], env)).toMatchObject({ schedule_id: id, enabled: false });
    expect(await json(['schedules', 'enable', id], env)).toMatchObject({ schedule_id: id, enabled: true });
    expect((await cli(['schedules', 'delete', id], env)).code).toBe(0);
    expect((await cli(['schedules', 'get', id], env)).code).toBe(3);
  });

  it('creates one-shot and RRULE schedules, and refuses a bad rule (3) or a missing one (2)', async () => {
    const env = await tenantEnv();
    const once = await json(['schedules', 'create', '--name', 'once', '--task', 'ping', '--run-at', '2999-01-01T00:00:00Z', '--disabled'], env);
    expect(once).toMatchObject({ kind: 'one_shot', enabled: false });
    const weekly = await json(
      ['schedules', 'create', '--name', 'weekly', '--task', 'ping', '--rrule', 'FREQ=WEEKLY;BYDAY=MO', '--dtstart', '2025-01-06T09:00:00'],
      env,
    );
    expect(weekly).toMatchObject({ kind: 'rrule', rrule: 'FREQ=WEEKLY;BYDAY=MO' });

    const badCron = await cli(['schedules', 'create', '--name', 'bad', '--task', 'ping', '--cron', 'every day'], env);
    expect(badCron.code).toBe(3);
    expect(badCron.stderr).toMatch(/^ {2}- cron: /m);
    const noRule = await cli(['schedules', 'create', '--name', 'none', '--task', 'ping'], env);
    expect(noRule.code).toBe(2);
    expect(noRule.stderr).toContain('Give exactly one of --cron, --rrule (with --dtstart) and --run-at');
    const noDtstart = await cli(['schedules', 'create', '--name', 'r', '--task', 'ping', '--rrule', 'FREQ=DAILY'], env);
    expect(noDtstart.code).toBe(2);
    const noName = await cli(['schedules', 'create', '--task', 'ping', '--cron', '* * * * *'], env);
    expect(noName.code).toBe(2);
    expect(noName.stderr).toContain("required option '--name <name>' not specified");
  });
});

describe('usage and task-types', () => {
  it("shows this period's usage, grouped by what the API offers; a bad grouping exits 2, a period the API refuses 3", async () => {
    const env = await tenantEnv();
    const usage = await json(['usage'], env);
    expect(usage).toMatchObject({ plan: 'starter', spent_usd: 0, by_action: [] });
    expect(usage.cap_usd).toBeGreaterThan(0);
    expect(await json(['usage', '--by', 'action'], env)).toEqual([]);
    const text = await cli(['usage'], env);
    expect(text.stdout).toMatch(/^plan starter, period /m);

    for (const by of ['day', 'task', 'model', 'campaign']) {
      expect(await json(['usage', '--by', by], env)).toEqual([]);
      const grouped = await cli(['usage', '--by', by, '--period', 'current'], env);
      expect([grouped.code, grouped.stdout]).toEqual([0, expect.stringContaining(`No spend by ${by} in this period.`)]);
    }
    expect((await cli(['usage', '--by', 'week'], env)).code).toBe(2);
    const refused = await cli(['usage', '--by', 'day', '--period', '2001-01-01'], env);
    expect(refused.code).toBe(3);
    expect(refused.stderr).toMatch(/2001-01-01 is not the start of one of your billing periods; they start on \d{4}-\d{2}-\d{2}/);
  });

  it('checks whether one more call of an LLM task fits (usage --check); a task that calls no model exits 3', async () => {
    const env = await tenantEnv();
    const check = await json(['usage', '--check', 'score_post'], env);
    expect(check).toMatchObject({ task: 'score_post', fits: true });
    expect(check.calls_that_fit).toBe(Math.floor(check.remaining_usd / check.worst_case_usd));
    const text = await cli(['usage', '--check', 'score_post'], env);
    expect([text.code, text.stdout]).toEqual([
      0,
      expect.stringMatching(/^score_post: fits\nworst case \$0\.\d{4} a call, \$\d+\.\d{4} remaining: \d+ such calls fit now/),
    ]);
    const refused = await cli(['usage', '--check', 'ping'], env);
    expect([refused.code, refused.stderr]).toEqual([3, expect.stringMatching(/task must be one of the tasks that call a model/)]);
    expect((await cli(['usage', '--check', 'score_post', '--by', 'day'], env)).code).toBe(2);
  });

  it('lists the task types', async () => {
    const env = await tenantEnv();
    const types = await json(['task-types'], env);
    expect(types.find((t: { name: string }) => t.name === 'test_task')).toMatchObject({ queue: 'monitoring', payload_schema: expect.any(Object) });
    expect((await cli(['task-types'], env)).stdout).toMatch(/^test_task\s+monitoring\s+3\s+Echoes/m);
  });
});

describe('dead-letters', () => {
  it('lists a task that failed for good and replays it, with an admin key; a tenant key is refused', async () => {
    const env = await tenantEnv();
    const failed = await cli(
      ['tasks', 'submit', 'test_task', '--payload', '{"message":"dead","steps":1,"step_ms":0,"fail_attempts":5}', '--wait', '--json'],
      env,
    );
    expect(failed.code).toBe(1);
    const taskId = JSON.parse(failed.stdout).task_id as string;

    const admin = s.envFor(await s.adminKey());
    const letters = await json(['dead-letters', 'list', '--task', 'test_task'], admin);
    expect(letters).toContainEqual(expect.objectContaining({ task_id: taskId, task: 'test_task', attempts: 3 }));
    expect((await cli(['dead-letters', 'list'], admin)).stdout).toContain(taskId);

    const refused = await cli(['dead-letters', 'list'], env);
    expect(refused.code).toBe(3);
    expect(refused.stderr).toMatch(/403/);

    expect((await cli(['dead-letters', 'replay'], admin)).code).toBe(2);
    expect((await cli(['dead-letters', 'replay', taskId, '--all'], admin)).code).toBe(2);
    expect(await json(['dead-letters', 'replay', taskId], admin)).toMatchObject({ replayed: 1, task_ids: [taskId] });
    // Replayed with fresh attempts, it runs again: attempts 4 and 5 fail on purpose, 6 succeeds.
    // logs prints the history (the first run's end among it) and follows to the end.
    const again = await cli(['tasks', 'logs', taskId], env);
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/^attempt 3 failure: .* Error: attempt 3 fails on purpose/m);
    expect(again.stdout).toMatch(/ SUCCESS 100% Task completed \(attempt 6\)$/m);
    expect(again.stdout).toContain('result {"echo":"dead"}');
  });

  it("lists, groups, replays with an edited payload and discards a tenant's own dead letters", async () => {
    const env = await tenantEnv();
    const doomed = '{"message":"dead","steps":1,"step_ms":0,"fail_attempts":5}';
    const ids: string[] = [];
    for (let i = 0; i < 2; i += 1) {
      const failed = await cli(['tasks', 'submit', 'test_task', '--payload', doomed, '--wait', '--json'], env);
      expect(failed.code).toBe(1);
      ids.push(JSON.parse(failed.stdout).task_id as string);
    }
    const mine = await json(['dead-letters', 'mine', '--code', 'Error'], env);
    expect(mine.map((d: { task_id: string }) => d.task_id).sort()).toEqual([...ids].sort());
    expect(await json(['dead-letters', 'groups'], env)).toEqual([{ task: 'test_task', error_code: 'Error', count: 2, last_failed_at: expect.any(String) }]);
    expect((await cli(['dead-letters', 'groups'], env)).stdout).toMatch(/^test_task\s+Error\s+2\s/m);

    expect((await cli(['dead-letters', 'replay-mine', ids[0]!, ids[1]!, '--payload', '{"message":"x"}'], env)).code).toBe(2);
    const refused = await cli(['dead-letters', 'replay-mine', ids[0]!, '--payload', '{"message":""}'], env);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain('payload.message');
    expect(await json(['dead-letters', 'replay-mine', ids[0]!, '--payload', '{"message":"fixed","steps":1,"step_ms":0}'], env)).toMatchObject({
      task_id: ids[0],
      status: 'PENDING',
    });
    expect(await json(['dead-letters', 'discard', ids[1]!], env)).toEqual({ task_id: ids[1], discarded: true });
    expect(await json(['dead-letters', 'mine'], env)).toEqual([]);
    expect(await json(['dead-letters', 'replay-mine', '--all'], env)).toMatchObject({ replayed: 0 });
    expect((await cli(['dead-letters', 'discard', ids[1]!], env)).code).not.toBe(0);
  });
});

describe('queues and workers', () => {
  it('shows the queues to a tenant and the workers to an admin key', async () => {
    const env = await tenantEnv();
    expect((await cli(['tasks', 'submit', 'ping', '--delay-ms', '3600000'], env)).code).toBe(0);
    const overview = await json(['queues', '--window', '6h'], env);
    expect(overview).toMatchObject({ window: '6h', bucket_ms: 1_800_000 });
    expect(overview.queues.find((q: { queue: string }) => q.queue === 'monitoring').counts).toMatchObject({ PENDING: 1 });
    expect((await cli(['queues'], env)).stdout).toMatch(/^monitoring\s+1\s/m);
    expect((await cli(['queues', '--window', '2h'], env)).code).toBe(2);
    expect((await cli(['workers'], env)).code).toBe(3);
    const admin = s.envFor(await s.adminKey());
    expect(await json(['workers'], admin)).toContainEqual(expect.objectContaining({ queue: 'monitoring' }));
  });
});
