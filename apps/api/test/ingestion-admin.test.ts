import { DEFAULT_INGESTION_CADENCE, INGESTION_SOURCES, SYSTEM_TENANT_ID } from '@conveyor/contracts';
import { advanceIngestionWatermark, databaseNow, finishIngestionRun, startIngestionRun, upsertRecords } from '@conveyor/db';
import { nextOccurrence } from '@conveyor/scheduling';
import request from 'supertest';
import { type Harness, startHarness } from './helpers';

// The admin API of ingestion, on a real database and Redis: sources and their schedules,
// running one by hand, the audit trail and the records.

let h: Harness;
beforeAll(async () => (h = await startHarness()));
afterAll(() => h.close());

const auth = (key: string) => ({ Authorization: `Bearer ${key}` });
const admin = () => auth(h.adminKey);
const TOTALS = { pages: 1, fetched: 2, inserted: 2, updated: 0, unchanged: 0, retries: 0, rateLimitWaits: 0 };

const scheduleOf = (source: string) =>
  h.db.selectFrom('schedules').selectAll().where('tenant_id', '=', SYSTEM_TENANT_ID).where('name', '=', `ingestion:${source}`).executeTakeFirstOrThrow();
const patch = (source: string, body: unknown) =>
  request(h.app)
    .patch(`/api/v1/ingestion/sources/${source}`)
    .set(admin())
    .send(body as object);
const sourceView = async (source: string) =>
  (await request(h.app).get('/api/v1/ingestion/sources').set(admin())).body.sources.find((s: { source: string }) => s.source === source);
const nextFire = (cron: string, after: Date) => nextOccurrence({ kind: 'cron', cron, timezone: 'UTC' }, after)!.toISOString();

const ROUTES: [method: 'get' | 'patch' | 'post', path: string][] = [
  ['get', '/api/v1/ingestion/sources'],
  ['patch', '/api/v1/ingestion/sources/fred'],
  ['post', '/api/v1/ingestion/fred/run'],
  ['get', '/api/v1/ingestion/runs'],
  ['get', '/api/v1/ingestion/fred/records'],
];

describe('who may use it', () => {
  it('refuses a request without a key (401) and a tenant key (403) on every route', async () => {
    for (const [method, path] of ROUTES) {
      expect([path, (await request(h.app)[method](path).send({ enabled: true })).status]).toEqual([path, 401]);
      const tenant = await request(h.app)[method](path).set(auth(h.keyB)).send({ enabled: true });
      expect([path, tenant.status, tenant.body.error]).toEqual([path, 403, 'admin_only']);
    }
  });

  it('refuses a tenant that names ingest_source on the task and schedule routes (403), creating nothing', async () => {
    const payload = { source: 'fred' };
    const single = await request(h.app).post('/api/v1/tasks').set(auth(h.keyA)).send({ task: 'ingest_source', payload });
    expect([single.status, single.body.error]).toEqual([403, 'system_task']);
    expect(single.body.message).toMatch(/POST \/api\/v1\/ingestion\/\{source\}\/run/);
    const batch = await request(h.app)
      .post('/api/v1/tasks/batch')
      .set(auth(h.keyA))
      .send({
        tasks: [
          { task: 'ping', payload: {} },
          { task: 'ingest_source', payload },
        ],
      });
    expect([batch.status, batch.body.error]).toEqual([403, 'system_task']);
    const schedule = await request(h.app)
      .post('/api/v1/schedules')
      .set(auth(h.keyA))
      .send({ name: 'mine', kind: 'cron', cron: '0 * * * *', task: 'ingest_source', payload });
    expect([schedule.status, schedule.body.error]).toEqual([403, 'system_task']);
    expect(
      await h.db.selectFrom('tasks').select('task').where('tenant_id', '<>', SYSTEM_TENANT_ID).where('task', 'in', ['ingest_source', 'ping']).execute(),
    ).toEqual([]);
    expect(await h.db.selectFrom('schedules').select('id').where('name', '=', 'mine').execute()).toEqual([]);
  });

  it('refuses a tenant before reading its body: broken JSON is a 403, not a 400, and runs nothing', async () => {
    const res = await request(h.app)
      .post('/api/v1/ingestion/fred/run')
      .set({ ...auth(h.keyA), 'Content-Type': 'application/json' })
      .send('{broken');
    expect([res.status, res.body.error]).toEqual([403, 'admin_only']);
    expect(await h.db.selectFrom('tasks').select('id').where('task', '=', 'ingest_source').execute()).toEqual([]);
  });
});

describe('the routes', () => {
  it('refuse query parameters where they take none, and other methods with 405 and Allow', async () => {
    for (const [method, path] of [ROUTES[0]!, ROUTES[1]!, ROUTES[2]!]) {
      const res = await request(h.app)[method](`${path}?dry_run=1`).set(admin()).send({ enabled: true });
      expect([path, res.status, res.body.issues?.[0]]).toEqual([path, 400, { path: 'query.dry_run', message: 'unknown parameter; this route takes none' }]);
    }
    const res = await request(h.app).delete('/api/v1/ingestion/sources').set(admin());
    expect([res.status, res.headers.allow]).toEqual([405, 'GET, HEAD']);
    expect((await request(h.app).get('/api/v1/ingestion/fred/run').set(admin())).headers.allow).toBe('POST');
  });
});

describe('the sources', () => {
  it('are set up at start-up: all five, disabled in tests, each with its default cadence and next run', async () => {
    const res = await request(h.app).get('/api/v1/ingestion/sources').set(admin());
    expect(res.status).toBe(200);
    expect(res.body.sources.map((s: { source: string }) => s.source)).toEqual([...INGESTION_SOURCES].sort());
    const now = await databaseNow(h.db);
    for (const view of res.body.sources) {
      const source = view.source as keyof typeof DEFAULT_INGESTION_CADENCE;
      expect(view).toEqual({
        source,
        enabled: false,
        cadence: DEFAULT_INGESTION_CADENCE[source],
        next_run_at: expect.any(String),
        watermark: null,
        last_success_at: null,
        last_error: null,
        record_count: 0,
      });
      expect(Date.parse(view.next_run_at)).toBeGreaterThan(now.getTime() - 60_000);
      const schedule = await scheduleOf(source);
      expect(schedule).toMatchObject({ enabled: false, task: 'ingest_source', payload: { source }, timezone: 'UTC', cron: DEFAULT_INGESTION_CADENCE[source] });
      expect(schedule.next_run_at!.toISOString()).toBe(view.next_run_at);
    }
  });

  it('are switched on (the next run from now: missed times are not fired) and off, and the schedule row follows', async () => {
    await h.db
      .updateTable('schedules')
      .set({ next_run_at: new Date('2020-01-01T00:00:00Z') })
      .where('id', '=', (await scheduleOf('reliefweb')).id)
      .execute();
    const before = await databaseNow(h.db);
    const on = await patch('reliefweb', { enabled: true });
    expect(on.status).toBe(200);
    expect(on.body).toMatchObject({ source: 'reliefweb', enabled: true, cadence: DEFAULT_INGESTION_CADENCE.reliefweb });
    // The cadence's first fire after Postgres' now when the change was made.
    const after = await databaseNow(h.db);
    expect([nextFire(DEFAULT_INGESTION_CADENCE.reliefweb, before), nextFire(DEFAULT_INGESTION_CADENCE.reliefweb, after)]).toContain(on.body.next_run_at);
    expect(await scheduleOf('reliefweb')).toMatchObject({ enabled: true, next_run_at: new Date(on.body.next_run_at) });

    const off = await patch('reliefweb', { enabled: false });
    expect(off.body).toMatchObject({ enabled: false, next_run_at: on.body.next_run_at });
    expect((await scheduleOf('reliefweb')).enabled).toBe(false);
    expect(await sourceView('reliefweb')).toEqual(off.body);
  });

  it('take a new cadence, checked and read in UTC, with the next run recomputed from it', async () => {
    const before = await databaseNow(h.db);
    const res = await patch('worldbank', { cadence: '30 4 * * 1', enabled: true });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ cadence: '30 4 * * 1', enabled: true });
    const after = await databaseNow(h.db);
    expect([nextFire('30 4 * * 1', before), nextFire('30 4 * * 1', after)]).toContain(res.body.next_run_at);
    // Read in UTC: Monday 04:30 UTC, whatever the time zone of this process.
    const next = new Date(res.body.next_run_at);
    expect([next.getUTCDay(), next.getUTCHours(), next.getUTCMinutes()]).toEqual([1, 4, 30]);
    expect(await scheduleOf('worldbank')).toMatchObject({ cron: '30 4 * * 1', enabled: true, next_run_at: next });
  });

  it('refuse a change that is empty, unknown or not a valid once-a-minute-or-slower cron, and change nothing', async () => {
    const before = await scheduleOf('fred');
    const cases: [body: unknown, path: string, message: RegExp][] = [
      [{}, '(body)', /send enabled, cadence or both/],
      [{ enabled: 'yes' }, 'enabled', /true or false/],
      [{ enabled: true, paused: true }, '(body)', /paused/],
      [{ cadence: 'every day' }, 'cadence', /five-field cron/],
      [{ cadence: '*/10 * * * * *' }, 'cadence', /no seconds: a source runs at most once a minute/],
      [{ cadence: '@hourly' }, 'cadence', /five-field cron/],
      [{ cadence: '61 * * * *' }, 'cadence', /not a valid cron/],
      [{ cadence: '0 0 31 2 *' }, 'cadence', /not a valid cron: Invalid explicit day of month/],
      // The fifth Monday of February: none within the scheduling package's bounds (years apart).
      [{ cadence: '0 0 * 2 1#5' }, 'cadence', /fires too rarely or never/],
      [{ cadence: 15 }, 'cadence', /string/],
      [[], '(body)', /object/],
    ];
    for (const [body, path, message] of cases) {
      const res = await patch('fred', body);
      expect([JSON.stringify(body), res.status, res.body.issues?.[0]?.path]).toEqual([JSON.stringify(body), 400, path]);
      expect(res.body.message).toMatch(message);
    }
    // No body at all is an empty change.
    const none = await request(h.app).patch('/api/v1/ingestion/sources/fred').set(admin());
    expect([none.status, none.body.message]).toEqual([400, expect.stringMatching(/send enabled, cadence or both/)]);
    expect(await scheduleOf('fred')).toEqual(before);
  });

  it('answers 404 naming the sources for one that does not exist', async () => {
    for (const res of [
      await patch('twitter', { enabled: true }),
      await request(h.app).post('/api/v1/ingestion/twitter/run').set(admin()),
      await request(h.app).get('/api/v1/ingestion/twitter/records').set(admin()),
    ]) {
      expect([res.status, res.body.error]).toEqual([404, 'source_not_found']);
      expect(res.body.message).toBe('No ingestion source "twitter"; the sources are gdelt, reliefweb, fred, worldbank, comtrade');
    }
  });

  it('gives a source whose schedule was deleted by hand a new one when it is changed', async () => {
    await h.db
      .deleteFrom('schedules')
      .where('id', '=', (await scheduleOf('comtrade')).id)
      .execute();
    expect(await sourceView('comtrade')).toMatchObject({ enabled: false, cadence: null, next_run_at: null });
    const res = await patch('comtrade', { enabled: true });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ enabled: true, cadence: DEFAULT_INGESTION_CADENCE.comtrade, next_run_at: expect.any(String) });
  });

  it('show the last success, a later failure, the watermark and the record count', async () => {
    const ok = await startIngestionRun(h.db, { source: 'gdelt' });
    const done = (await finishIngestionRun(h.db, ok.id, { status: 'succeeded', totals: TOTALS }))!;
    const bad = await startIngestionRun(h.db, { source: 'gdelt' });
    const failed = (await finishIngestionRun(h.db, bad.id, {
      status: 'failed',
      totals: TOTALS,
      error: { type: 'SourceError', message: 'GDELT answered 500' },
    }))!;
    await advanceIngestionWatermark(h.db, 'gdelt', new Date('2026-12-05T10:15:00Z'));
    await upsertRecords(h.db, 'gdelt', [
      { external_id: 'g1', raw: {} },
      { external_id: 'g2', raw: {} },
      { external_id: 'g3', raw: {} },
    ]);
    expect(await sourceView('gdelt')).toMatchObject({
      watermark: '2026-12-05T10:15:00.000Z',
      last_success_at: done.finished_at!.toISOString(),
      last_error: { message: 'GDELT answered 500', at: failed.finished_at!.toISOString() },
      record_count: 3,
    });
  });
});

describe('running a source by hand', () => {
  const tasksOf = () =>
    h.db
      .selectFrom('tasks')
      .select(['id', 'tenant_id', 'task', 'queue', 'status', 'payload'])
      .where('task', '=', 'ingest_source')
      .orderBy('created_at')
      .execute();

  it('submits a PENDING ingest_source task of the system tenant with the window, even for a disabled source', async () => {
    expect((await sourceView('fred')).enabled).toBe(false);
    const window = { from: '2026-01-01T00:00:00Z', to: '2026-02-01T00:00:00Z' };
    const res = await request(h.app).post('/api/v1/ingestion/fred/run').set(admin()).send({ window });
    expect(res.status).toBe(202);
    expect(res.body).toEqual({
      task_id: expect.any(String),
      status: 'PENDING',
      source: 'fred',
      window,
      message: expect.stringMatching(/ingestion\/runs\?source=fred/),
    });
    const task = (await tasksOf()).find((t) => t.id === res.body.task_id);
    expect(task).toEqual({
      id: res.body.task_id,
      tenant_id: SYSTEM_TENANT_ID,
      task: 'ingest_source',
      queue: 'scraping',
      status: 'PENDING',
      payload: { source: 'fred', window },
    });
    expect(await h.producer.queue('scraping').getJob(res.body.task_id)).toBeDefined();
  });

  it('runs from the watermark when no window is given; the body may be left out', async () => {
    const none = await request(h.app).post('/api/v1/ingestion/reliefweb/run').set(admin());
    const empty = await request(h.app).post('/api/v1/ingestion/reliefweb/run').set(admin()).send({});
    for (const res of [none, empty]) {
      expect([res.status, res.body.window]).toEqual([202, null]);
      expect((await tasksOf()).find((t) => t.id === res.body.task_id)?.payload).toEqual({ source: 'reliefweb' });
    }
  });

  it('refuses a bad window or body with a 400 that says what to change, and submits nothing', async () => {
    const before = (await tasksOf()).length;
    const cases: [body: unknown, message: RegExp][] = [
      [{ window: { from: '2026-02-01T00:00:00Z', to: '2026-01-01T00:00:00Z' } }, /window.from must be before window.to/],
      [{ window: { from: '2026-01-01', to: '2026-02-01' } }, /ISO 8601 date-time with its offset/],
      [{ window: { from: '2000-01-01T00:00:00Z', to: '2026-01-01T00:00:00Z' } }, /at most 3660 days/],
      [{ window: { from: '2026-01-01T00:00:00Z' } }, /window.to/],
      [{ window: { from: '2026-01-01T00:00:00Z', to: '2026-02-01T00:00:00Z', step: 1 } }, /step/],
      [{ source: 'gdelt' }, /source/],
      ['x', /not valid JSON/],
      [[1], /expected object/],
    ];
    for (const [body, message] of cases) {
      const res = await request(h.app).post('/api/v1/ingestion/fred/run').set(admin()).set('Content-Type', 'application/json').send(JSON.stringify(body));
      expect([JSON.stringify(body), res.status]).toEqual([JSON.stringify(body), 400]);
      expect(res.body.message).toMatch(message);
    }
    expect((await tasksOf()).length).toBe(before);
  });
});

describe('the audit trail of runs', () => {
  let ids: Record<string, string>;
  beforeAll(async () => {
    await h.db.deleteFrom('ingestion_runs').execute();
    const run = async (source: string, status: 'succeeded' | 'failed' | 'deferred' | 'running') => {
      const started = await startIngestionRun(h.db, { source, windowFrom: '2026-12-01T00:00:00Z', windowTo: '2026-12-02T00:00:00Z', cursor: 'page=2' });
      if (status !== 'running')
        await finishIngestionRun(h.db, started.id, {
          status,
          totals: TOTALS,
          error: status === 'failed' ? { type: 'Timeout', message: 'run limit reached' } : null,
        });
      return started.id;
    };
    // One after another, so that started_at orders them.
    ids = {};
    for (const [name, source, status] of [
      ['fredOk', 'fred', 'succeeded'],
      ['fredFailed', 'fred', 'failed'],
      ['gdeltDeferred', 'gdelt', 'deferred'],
      ['gdeltRunning', 'gdelt', 'running'],
    ] as const)
      ids[name] = await run(source, status);
  });
  const list = (query: string) => request(h.app).get(`/api/v1/ingestion/runs${query}`).set(admin());

  it('lists runs newest first with their counts and error as stored', async () => {
    const res = await list('');
    expect(res.status).toBe(200);
    expect(res.body.runs.map((r: { run_id: string }) => r.run_id)).toEqual([ids.gdeltRunning, ids.gdeltDeferred, ids.fredFailed, ids.fredOk]);
    expect(res.body.next_cursor).toBeNull();
    expect(res.body.runs[2]).toEqual({
      run_id: ids.fredFailed,
      source: 'fred',
      task_id: null,
      status: 'failed',
      window_from: '2026-12-01T00:00:00.000Z',
      window_to: '2026-12-02T00:00:00.000Z',
      cursor: 'page=2',
      started_at: expect.any(String),
      finished_at: expect.any(String),
      pages: 1,
      fetched: 2,
      inserted: 2,
      updated: 0,
      unchanged: 0,
      retries: 0,
      rate_limit_waits: 0,
      error: { type: 'Timeout', message: 'run limit reached' },
    });
    expect(res.body.runs[0]).toMatchObject({ status: 'running', finished_at: null, error: null });
  });

  it('filters by source and by several statuses, in any case, comma-separated or repeated', async () => {
    const runIds = async (query: string) => (await list(query)).body.runs.map((r: { run_id: string }) => r.run_id);
    expect(await runIds('?source=fred')).toEqual([ids.fredFailed, ids.fredOk]);
    expect(await runIds('?status=Failed,DEFERRED')).toEqual([ids.gdeltDeferred, ids.fredFailed]);
    expect(await runIds('?status=failed&status=succeeded&source=fred')).toEqual([ids.fredFailed, ids.fredOk]);
    expect(await runIds('?source=worldbank')).toEqual([]);
  });

  it('pages with next_cursor until it is null', async () => {
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const res: request.Response = await request(h.app)
        .get('/api/v1/ingestion/runs')
        .query({ limit: 3, ...(cursor ? { cursor } : {}) })
        .set(admin());
      expect(res.status).toBe(200);
      seen.push(...res.body.runs.map((r: { run_id: string }) => r.run_id));
      cursor = res.body.next_cursor;
    } while (cursor);
    expect(seen).toEqual([ids.gdeltRunning, ids.gdeltDeferred, ids.fredFailed, ids.fredOk]);
  });

  it('answers a bad query with a 400 naming the parameter', async () => {
    for (const [query, path] of [
      ['?status=done', 'query.status.0'],
      ['?status=', 'query.status.0'],
      ['?source=twitter', 'query.source'],
      ['?limit=0', 'query.limit'],
      ['?limit=201', 'query.limit'],
      ['?limit=abc', 'query.limit'],
      ['?cursor=abc', 'query.cursor'],
      [`?cursor=${'a'.repeat(300)}`, 'query.cursor'],
      ['?after=1', 'query.after'],
    ]) {
      const res = await list(query!);
      expect([query, res.status, res.body.issues?.[0]?.path]).toEqual([query, 400, path]);
    }
    expect((await list('?source=twitter')).body.message).toMatch(/gdelt, reliefweb, fred, worldbank, comtrade/);
  });
});

describe("a source's records", () => {
  beforeAll(async () => {
    await upsertRecords(h.db, 'worldbank', [
      { external_id: 'GDP:DE:2024', raw: { value: '4.5e12' }, occurred_on: '2024-01-01', country: 'DE', series_id: 'GDP', value: 4.5e12, title: 'GDP' },
      { external_id: 'GDP:FR:2024', raw: {}, occurred_on: '2024-01-01', country: 'FR', series_id: 'GDP', value: 3.1e12 },
      { external_id: 'POP:DE:2023', raw: {}, occurred_on: '2023-01-01', country: 'DE', series_id: 'POP', value: 8.4e7 },
      { external_id: 'GDP:DE:2022', raw: {}, occurred_on: '2022-01-01', country: 'DE', series_id: 'GDP', value: 4.1e12 },
      { external_id: 'note', raw: {}, title: 'no date' },
    ]);
    await upsertRecords(h.db, 'fred', [{ external_id: 'GDP:2024-01-01', raw: {}, occurred_on: '2024-01-01' }]);
  });
  const list = (query: string) => request(h.app).get(`/api/v1/ingestion/worldbank/records${query}`).set(admin());
  const externalIds = async (query: string) => (await list(query)).body.records.map((r: { external_id: string }) => r.external_id);

  it('lists newest date first, undated last, each with its columns and raw JSON', async () => {
    const res = await list('');
    expect(res.status).toBe(200);
    expect(res.body.records.map((r: { external_id: string }) => r.external_id)).toEqual(['GDP:FR:2024', 'GDP:DE:2024', 'POP:DE:2023', 'GDP:DE:2022', 'note']);
    expect(res.body.records[1]).toEqual({
      external_id: 'GDP:DE:2024',
      occurred_on: '2024-01-01',
      country: 'DE',
      series_id: 'GDP',
      value: 4.5e12,
      title: 'GDP',
      raw: { value: '4.5e12' },
      first_seen_at: expect.any(String),
      updated_at: expect.any(String),
    });
    expect(res.body.records[4]).toMatchObject({ occurred_on: null, title: 'no date' });
    expect(res.body.next_cursor).toBeNull();
  });

  it('filters by dates (inclusive), country and series', async () => {
    expect(await externalIds('?from=2023-01-01')).toEqual(['GDP:FR:2024', 'GDP:DE:2024', 'POP:DE:2023']);
    expect(await externalIds('?to=2023-01-01')).toEqual(['POP:DE:2023', 'GDP:DE:2022']);
    expect(await externalIds('?from=2023-01-01&to=2023-12-31')).toEqual(['POP:DE:2023']);
    expect(await externalIds('?country=DE&series_id=GDP')).toEqual(['GDP:DE:2024', 'GDP:DE:2022']);
    expect(await externalIds('?country=US')).toEqual([]);
  });

  it('pages with next_cursor across equal dates and into the undated records, filters kept', async () => {
    const pages: string[][] = [];
    let cursor: string | null = null;
    do {
      const res: request.Response = await request(h.app)
        .get('/api/v1/ingestion/worldbank/records')
        .query({ limit: 2, ...(cursor ? { cursor } : {}) })
        .set(admin());
      expect(res.status).toBe(200);
      pages.push(res.body.records.map((r: { external_id: string }) => r.external_id));
      cursor = res.body.next_cursor;
    } while (cursor);
    expect(pages).toEqual([['GDP:FR:2024', 'GDP:DE:2024'], ['POP:DE:2023', 'GDP:DE:2022'], ['note']]);

    const first = await list('?country=DE&limit=1');
    const second = await list(`?country=DE&limit=1&cursor=${first.body.next_cursor}`);
    expect([first.body.records[0].external_id, second.body.records[0].external_id]).toEqual(['GDP:DE:2024', 'POP:DE:2023']);
  });

  it('answers odd cursors, limits, dates and parameters with a 400 naming the parameter, never a 500', async () => {
    const b64 = (text: string) => Buffer.from(text).toString('base64url');
    for (const [query, path] of [
      ['?cursor=abc', 'query.cursor'],
      [`?cursor=${b64('2024-02-30|x')}`, 'query.cursor'],
      [`?cursor=${b64('|')}`, 'query.cursor'],
      [`?cursor=${b64('|a\u0000')}`, 'query.cursor'],
      [`?cursor=${'a'.repeat(3001)}`, 'query.cursor'],
      ['?cursor=%ff', 'query.cursor'],
      ['?cursor[]=a', 'query.cursor[]'],
      ['?limit=0', 'query.limit'],
      ['?limit=501', 'query.limit'],
      ['?limit=-1', 'query.limit'],
      ['?limit=1.5', 'query.limit'],
      ['?limit=1e309', 'query.limit'],
      ['?limit=1&limit=2', 'query.limit'],
      ['?from=2024-02-30', 'query.from'],
      ['?from=0000-01-01', 'query.from'],
      ['?to=yesterday', 'query.to'],
      ['?from=2024-01-02&to=2024-01-01', 'query.from'],
      ['?country=', 'query.country'],
      [`?series_id=${'s'.repeat(201)}`, 'query.series_id'],
      ['?source=fred', 'query.source'],
    ]) {
      const res = await list(query!);
      expect([query, res.status, res.body.issues?.[0]?.path]).toEqual([query, 400, path]);
    }
    // A NUL in a filter cannot match anything Postgres stores: a 400, not a 500.
    expect((await list('?country=%00')).status).toBe(400);
    // A cursor of the right form that names no record still pages from that position.
    expect(await externalIds(`?cursor=${b64('2023-06-01|zzz')}`)).toEqual(['POP:DE:2023', 'GDP:DE:2022', 'note']);
  });
});

describe('with INGESTION_AUTOSTART=true', () => {
  let on: Harness;
  beforeAll(async () => (on = await startHarness({ ingestionAutostart: 'true' })));
  afterAll(() => on.close());

  it('sets the sources up enabled', async () => {
    const res = await request(on.app).get('/api/v1/ingestion/sources').set(auth(on.adminKey));
    expect(res.body.sources.map((s: { enabled: boolean }) => s.enabled)).toEqual(INGESTION_SOURCES.map(() => true));
  });
});
