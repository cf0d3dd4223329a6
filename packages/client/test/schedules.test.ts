import { randomUUID } from 'node:crypto';
import type { SessionView } from '@conveyor/contracts';
import { ConflictError, ConnectionError, type Conveyor, NotFoundError, type ScheduleView, ValidationError } from '../src';
import { type ClientStack, startStack } from './support/stack';
import { TcpProxy } from './support/tcp-proxy';

// Schedules, usage, budget alerts, the task catalog and request() (the routes without a typed resource)
// through the client, against the real API process.

let s: ClientStack;
beforeAll(async () => {
  s = await startStack({ worker: false });
}, 300_000);
afterAll(() => s?.stop(), 30_000);

it('creates, reads, lists, changes, disables, enables, triggers and deletes schedules', async () => {
  const conveyor = await s.tenant();
  const created = await conveyor.schedules.create({
    name: 'nightly',
    task: 'test_task',
    payload: { message: 'night' },
    kind: 'cron',
    cron: '0 3 * * *',
    timezone: 'Europe/Berlin',
  });
  expect(created).toMatchObject({ name: 'nightly', task: 'test_task', kind: 'cron', cron: '0 3 * * *', timezone: 'Europe/Berlin', enabled: true });
  expect(created.next_fire_times).toHaveLength(5);
  expect(await conveyor.schedules.get(created.schedule_id)).toEqual(created);

  const names = ['a-once', 'b-weekly'];
  await conveyor.schedules.create({ name: names[0]!, task: 'ping', kind: 'one_shot', run_at: new Date(Date.now() + 3_600_000).toISOString() });
  await conveyor.schedules.create({
    name: names[1]!,
    task: 'ping',
    kind: 'rrule',
    rrule: 'FREQ=WEEKLY;BYDAY=MO;BYHOUR=9;BYMINUTE=0',
    dtstart: '2026-01-05T09:00',
  });
  const listed: ScheduleView[] = [];
  for await (const schedule of conveyor.schedules.list({ limit: 2 })) listed.push(schedule);
  expect(listed.map((x) => x.name)).toEqual([...names, 'nightly']);
  const page = await conveyor.schedules.listPage({ limit: 2 });
  expect(page.schedules.map((x) => x.name)).toEqual(names);
  expect((await conveyor.schedules.listPage({ limit: 2, cursor: page.nextCursor! })).schedules.map((x) => x.name)).toEqual(['nightly']);

  expect(await conveyor.schedules.update(created.schedule_id, { cron: '30 4 * * *', misfire_policy: 'skip' })).toMatchObject({
    cron: '30 4 * * *',
    misfire_policy: 'skip',
  });
  expect(await conveyor.schedules.disable(created.schedule_id)).toMatchObject({ enabled: false, next_fire_times: [] });
  expect(await conveyor.schedules.enable(created.schedule_id)).toMatchObject({ enabled: true });

  const fired = await conveyor.schedules.trigger(created.schedule_id);
  expect(fired).toEqual({ id: expect.any(String), status: 'PENDING', created: true });
  expect(await conveyor.tasks.get(fired.id)).toMatchObject({ task: 'test_task', schedule_id: created.schedule_id, payload: { message: 'night' } });
  const fromSchedule = [];
  for await (const task of conveyor.tasks.list({ scheduleId: created.schedule_id })) fromSchedule.push(task.task_id);
  expect(fromSchedule).toEqual([fired.id]);

  await conveyor.schedules.delete(created.schedule_id);
  await expect(conveyor.schedules.get(created.schedule_id)).rejects.toBeInstanceOf(NotFoundError);
});

it('names the problem of a schedule it refuses', async () => {
  const conveyor = await s.tenant();
  const error = await conveyor.schedules
    .create({ name: 'bad', task: 'ping', kind: 'cron', cron: '0 3 * * *', timezone: 'Mars/Olympus' })
    .catch((e: unknown) => e);
  expect(error).toBeInstanceOf(ValidationError);
  expect(error).toMatchObject({ issues: [{ path: 'timezone', message: expect.stringContaining('unknown time zone') }] });

  await conveyor.schedules.create({ name: 'taken', task: 'ping', kind: 'cron', cron: '0 3 * * *' });
  await expect(conveyor.schedules.create({ name: 'taken', task: 'ping', kind: 'cron', cron: '0 4 * * *' })).rejects.toBeInstanceOf(ConflictError);
  await expect(conveyor.schedules.update(randomUUID(), { name: 'x' })).rejects.toMatchObject({ status: 404, code: 'schedule_not_found' });
});

it('reads the usage of the period and the task types on offer', async () => {
  const conveyor = await s.tenant('growth');
  expect(await conveyor.usage.get()).toMatchObject({ plan: 'growth', spent_usd: 0, reserved_usd: 0, by_action: [], period_start: expect.any(String) });
  const types = await conveyor.taskTypes.list();
  const testTask = types.find((t) => t.name === 'test_task');
  expect(testTask).toMatchObject({ queue: 'monitoring', policy: { attempts: 3 }, payload_schema: { type: 'object' } });
  expect(Object.keys((testTask!.payload_schema as { properties: object }).properties)).toContain('fail_attempts');
});

it('checks before submitting whether one more call of an LLM task fits the budget; a task that calls no model is a ValidationError', async () => {
  const conveyor = await s.tenant('trial');
  const check = await conveyor.usage.check('generate_draft');
  expect(check).toMatchObject({ task: 'generate_draft', fits: true, remaining_usd: 5 });
  expect(check.worst_case_usd).toBeGreaterThan(0);
  expect(check.calls_that_fit).toBe(Math.floor(5 / check.worst_case_usd));
  // The compiler allows LLM tasks only; a caller without types gets the API's 400.
  const refused = await conveyor.usage.check('ping' as 'score_post').catch((e: unknown) => e);
  expect(refused).toBeInstanceOf(ValidationError);
  expect((refused as Error).message).toMatch(/task must be one of the tasks that call a model: .*generate_draft/);
});

it('reads usage grouped and by period, and the budget alert webhook', async () => {
  const conveyor = await s.tenant('trial');
  const grouped = await conveyor.usage.get({ groupBy: 'model', period: 'current' });
  expect(grouped).toMatchObject({ plan: 'trial', cap_usd: 5, groups: [] });
  expect(await conveyor.usage.periods()).toEqual([{ period_start: grouped.period_start, period_end: grouped.period_end, spent_usd: 0, calls: 0 }]);
  const badPeriod = await conveyor.usage.get({ period: '2001-01-01' }).catch((e: unknown) => e);
  expect(badPeriod).toBeInstanceOf(ValidationError);
  expect((badPeriod as Error).message).toMatch(/is not the start of one of your billing periods/);

  expect(await conveyor.budgetAlerts.get()).toBeNull();
  expect(await conveyor.budgetAlerts.delete()).toBe(false);
  expect(await conveyor.budgetAlerts.deliveries()).toEqual([]);
  // This API allows no private webhook host: a loopback URL is refused at PUT.
  const refused = await conveyor.budgetAlerts.put({ url: 'http://127.0.0.1:9/hook' }).catch((e: unknown) => e);
  expect(refused).toBeInstanceOf(ValidationError);
  expect((refused as ValidationError).message).toMatch(/url refused: .*loopback/);
});

describe('request, for the routes without a typed resource', () => {
  it('sends the body and the query, returns the JSON answer (undefined for 204), and throws the typed errors', async () => {
    const conveyor = await s.tenant();
    const created = await conveyor.request<SessionView>('POST', '/sessions', { body: { name: 'people' } });
    expect(created).toMatchObject({ session_id: expect.any(String), name: 'people', head_node_id: null });
    await conveyor.request('POST', '/sessions', { body: { name: 'places' } });
    expect(await conveyor.request(`GET`, `/sessions/${created.session_id}`)).toEqual(created);
    // Listed by creation, newest first: limit 1 (a query parameter) gives only "places".
    const page = await conveyor.request<{ sessions: SessionView[] }>('GET', '/sessions', { query: { limit: 1, cursor: undefined } });
    expect(page.sessions.map((x) => x.name)).toEqual(['places']);

    expect(await conveyor.request('DELETE', `/sessions/${created.session_id}`)).toBeUndefined();
    const missing = await conveyor.request('GET', `/sessions/${created.session_id}`).catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(NotFoundError);
    expect(missing).toMatchObject({ status: 404, code: 'session_not_found', path: `/api/v1/sessions/${created.session_id}` });
    const refused = await conveyor.request('POST', '/sessions', { body: { name: '' } }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(ValidationError);
    expect(refused).toMatchObject({ status: 400, issues: [{ path: 'name', message: expect.any(String) }] });
  });

  it.each([
    ['posts', /must start with '\/'/],
    ['http://evil.example/x', /must start with '\/'/],
    ['//evil.example/x', /not a URL/],
    ['/redirect/https://evil.example', /not a URL/],
    ['/../admin/dead-letters', /'\.\.' segments/],
    ['/posts/%2E%2E/%2e%2e/admin', /'\.\.' segments/],
    ['/posts/..\\..\\admin', /'\.\.' segments/],
    ['/posts?limit=1', /options\.query/],
    ['/api/v1/posts', /pass '\/posts'/],
  ])('refuses the path %s with a TypeError, sending nothing', async (path, why) => {
    const sent: string[] = [];
    const conveyor = s.client('never-sent', { fetch: async (input) => (sent.push(String(input)), new Response('{}')) });
    const error = await conveyor.request('GET', path).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TypeError);
    expect((error as Error).message).toMatch(why);
    expect(sent).toEqual([]);
  });

  // Each request through a proxy of its own: fetch keeps connections open, and the proxy cuts
  // the answer of a connection's first request.
  async function withAnswerDropped<T>(apiKey: string, send: (conveyor: Conveyor) => Promise<T>): Promise<{ outcome: T | unknown; heads: string[] }> {
    const proxy = await TcpProxy.start(s.apiPort);
    try {
      const conveyor = s.client(apiKey, { baseUrl: proxy.url, maxRetryDelayMs: 10 });
      proxy.dropAnswers(1);
      const outcome = await send(conveyor).catch((e: unknown) => e);
      return { outcome, heads: proxy.connections.map((c) => c.request) };
    } finally {
      await proxy.close();
    }
  }

  it('sends again, when the connection broke, a GET or a request with an idempotency key, and nothing else', async () => {
    const apiKey = await s.tenantKey();
    const read = await withAnswerDropped(apiKey, (conveyor) => conveyor.request('GET', '/usage'));
    expect(read.outcome).toMatchObject({ plan: 'starter' });
    expect(read.heads.map((h) => h.split('\r\n')[0])).toEqual(['GET /api/v1/usage HTTP/1.1', 'GET /api/v1/usage HTTP/1.1']);

    const change = await withAnswerDropped(apiKey, (conveyor) => conveyor.request('POST', '/sessions', { body: { name: 'once' } }));
    expect(change.outcome).toBeInstanceOf(ConnectionError);
    expect((change.outcome as Error).message).toMatch(/not retried: it may have reached the server/);
    expect(change.heads).toHaveLength(1);

    // The key goes in the Idempotency-Key header: the second request gets the task the first one made.
    const idempotencyKey = randomUUID();
    const keyed = await withAnswerDropped(apiKey, (conveyor) =>
      conveyor.request<{ task_id: string }>('POST', '/tasks/test', { query: { message: 'hi' }, idempotencyKey }),
    );
    expect(keyed.heads).toHaveLength(2);
    for (const head of keyed.heads)
      expect(head).toMatch(new RegExp(`^POST /api/v1/tasks/test\\?message=hi [^]*\r\nidempotency-key: ${idempotencyKey}\r\n`, 'i'));
    const tasks = [];
    for await (const task of s.client(apiKey).tasks.list()) tasks.push(task.task_id);
    expect(tasks).toEqual([(keyed.outcome as { task_id: string }).task_id]);
  });
});
