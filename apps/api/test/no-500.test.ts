import { once } from 'node:events';
import type { Server } from 'node:http';
import request from 'supertest';
import { openApiDocument } from '../src/openapi';
import { RouteTable } from '../src/route-table';
import { type Harness, startHarness } from './helpers';

// A sweep of odd ids, query strings and bodies (hostile schedule rules among them) over every route: whatever a client sends, the
// answer is a 4xx (or a 2xx where the input happens to be fine), never a 500.

let h: Harness;
// One server for the whole sweep (supertest given the app would start one per request).
let server: Server;
beforeAll(async () => {
  // Keys are cached (as in production, for 10 s by default): thousands of requests by two
  // keys need not each look the key up; nothing here revokes one.
  h = await startHarness({ keyCacheMs: 600_000 });
  server = h.app.listen(0, '127.0.0.1');
  await once(server, 'listening');
});
afterAll(async () => {
  server.close();
  await h.close();
});

const ODD_IDS = [
  'x',
  '%00',
  '..%2f..%2f',
  "'or'1'='1",
  '00000000-0000-0000-0000-000000000000',
  'FFFFFFFF-FFFF-FFFF-FFFF-FFFFFFFFFFFF',
  'a'.repeat(3000),
  '%ff',
  '%E0%A4%A',
];
const ODD_QUERIES = [
  'limit=-1',
  'limit=1e309',
  'limit=99999999999999999999',
  'limit[]=1',
  'limit[a]=1',
  'status[]=x',
  'status=',
  'status=a,b,,c',
  'task[$ne]=1',
  'cursor[]=a',
  `cursor=${'a'.repeat(5000)}`,
  'cursor=%ff',
  'schedule_id=zz',
  'account=zz',
  'status=draft,sent',
  '%ff=1',
  'limit=1&limit=2',
  'tenant_id=x',
  '__proto__[x]=1',
  'from=0000-01-01',
  'to=2024-02-30',
  'from=2024-01-02&to=2024-01-01',
  'source=x',
  'country=%00',
  `cursor=${Buffer.from('|a\u0000').toString('base64url')}`,
  `cursor=${Buffer.from(`2024-01-01|${'x'.repeat(600)}`).toString('base64url')}`,
  'group_by=',
  'group_by[]=day',
  'group_by=day&group_by=task',
  'period=2026-02-30',
  'period=0000-01-01',
  'period=99999-01-01',
  'period[]=current',
  'period=previous&group_by=campaign',
  'created_after=0000-01-01',
  'created_after=275760-09-13T00:00:00Z',
  'created_before=2024-02-30T25:61:00Z',
  'created_after=2026-01-02&created_before=2026-01-01',
  'tag=',
  `tag=${'a'.repeat(5000)}`,
  'tag[]=a&tag=b',
  `tag=${Array.from({ length: 500 }, (_, i) => `t${i}`).join(',')}`,
  'campaign_id[]=x',
  `campaign_id=${'c'.repeat(5000)}`,
  'queue=nope',
  'queue[]=monitoring',
  'window=99d',
  'window[]=1h',
  'error_code[]=x',
  `error_code=${'e'.repeat(5000)}`,
];
const ODD_BODIES: unknown[] = [
  null,
  1,
  'x',
  [],
  [1],
  {},
  { task: 1 },
  { task: 'ping', payload: [] },
  { task: 'ping', payload: null },
  { task: 'ping', delay_ms: -1 },
  { task: 'ping', delay_ms: 1e300 },
  { task: 'ping', priority: 1.5 },
  { task: 'x'.repeat(5000) },
  { tasks: [] },
  { tasks: null },
  { tasks: [null, 1, 'x', {}] },
  { task_ids: ['x'] },
  { filter: { failed_after: 'yesterday' } },
  { all: false },
  { name: 'x', task: 'ping', kind: 'cron', cron: '* * * * * * *' },
  { name: 'x', task: 'ping', kind: 'cron', cron: '0 0 31 2 *' },
  { name: 'x', task: 'ping', kind: 'cron', cron: '0 0 * * *', timezone: 'Mars/Olympus' },
  { name: 'x', task: 'ping', kind: 'one_shot', run_at: '275760-09-13T00:00:00Z' },
  { name: 'x', task: 'ping', kind: 'rrule', rrule: 'FREQ=DAILY', dtstart: '9999-99-99T99:99' },
  { name: 'x', task: 'ping', kind: 'rrule', rrule: 'FREQ=YEARLY;BYSETPOS=400;BYMONTH=1', dtstart: '2026-01-01T00:00' },
  { name: 'x', task: 'ping', kind: 'rrule', rrule: 'FREQ=SECONDLY;BYHOUR=99', dtstart: '2026-01-01T00:00' },
  { name: 'x', task: 'ping', kind: 'rrule', rrule: 'FREQ=HOURLY;BYHOUR=24', dtstart: '2026-01-01T00:00' },
  { name: 'x', task: 'ping', kind: 'rrule', rrule: 'FREQ=WEEKLY;BYMONTH=2;BYMONTHDAY=30', dtstart: '0050-01-01T00:00' },
  { name: 'x', task: 'ping', kind: 'rrule', rrule: 'FREQ=MINUTELY;INTERVAL=5', dtstart: '2020-01-01T00:00' },
  { name: 'x', task: 'publish_post', kind: 'one_shot', run_at: '2099-01-01T00:00:00Z', payload: { post_id: '00000000-0000-4000-8000-000000000000' } },
  { name: 'x', task: 'publish_post', kind: 'one_shot', run_at: '2099-01-01T00:00:00Z', payload: { post_id: 'x' } },
  { handle: '@', api_tier: 'free', token_secret_ref: 'env:X_TOKEN_A' },
  { handle: 'a'.repeat(5000), api_tier: ['free'], token_secret_ref: { env: 'A' } },
  { handle: 'ok', api_tier: 'free', token_secret_ref: 'env:X_TOKEN_A', token: 'abc' },
  { account_id: '00000000-0000-4000-8000-000000000000', text: 'hi' },
  { account_id: 'x', text: '\u202e'.repeat(3000), media: [{ url: 'https://a.example/a.png', kind: 'image' }] },
  { text: 'a'.repeat(9000) },
  { media: [{ url: 'http://[::1', kind: 'image' }] },
  { media: 'https://a.example/a.png' },
  { enabled: null },
  { cadence: '* * * * * * *' },
  { cadence: '0 0 * 2 1#5', enabled: true },
  { cadence: 'x'.repeat(5000) },
  { window: { from: '0000-01-01T00:00:00Z', to: '9999-12-31T23:59:59Z' } },
  { window: { from: '2026-01-01T00:00:00+99:99', to: '2026-01-02T00:00:00Z' } },
  { window: [] },
  { url: 'http://[::1', thresholds: [50] },
  { url: 'https://a.example/hook', thresholds: [0, 1e300, 'x', null] },
  { url: `https://${'a'.repeat(70)}.example/${'x'.repeat(5000)}` },
  { url: 'http://169.254.169.254/latest', thresholds: [] },
  { url: 'https://user:pw@a.example/' },
];
const COLLECTIONS = [
  '/api/v1/tasks',
  '/api/v1/tasks/batch',
  '/api/v1/tasks/test',
  '/api/v1/schedules',
  '/api/v1/usage',
  '/api/v1/usage/periods',
  '/api/v1/budget-alerts',
  '/api/v1/budget-alerts/deliveries',
  '/api/v1/task-types',
  '/api/v1/admin/dead-letters',
  '/api/v1/admin/dead-letters/replay',
  '/api/v1/x-accounts',
  '/api/v1/posts',
  '/api/v1/ingestion/sources',
  '/api/v1/ingestion/runs',
  '/api/v1/ingestion/fred/run',
  '/api/v1/ingestion/fred/records',
  '/api/v1/sessions',
  '/api/v1/queues',
  '/api/v1/workers',
  '/api/v1/dead-letters',
  '/api/v1/dead-letters/groups',
  '/api/v1/dead-letters/replay',
  '/api/v1/auth/session',
  '/api/v1/admin/tenants',
];
const ITEMS = ODD_IDS.flatMap((id) => [
  `/api/v1/tasks/${id}`,
  `/api/v1/tasks/${id}/result`,
  `/api/v1/tasks/${id}/cancel`,
  `/api/v1/tasks/${id}/retry`,
  `/api/v1/tasks/${id}/tokens`,
  `/api/v1/tasks/${id}/logs`,
  `/api/v1/dead-letters/${id}`,
  `/api/v1/dead-letters/${id}/replay`,
  `/api/v1/schedules/${id}`,
  `/api/v1/schedules/${id}/trigger`,
  `/api/v1/x-accounts/${id}`,
  `/api/v1/posts/${id}`,
  `/api/v1/posts/${id}/publish`,
  `/api/v1/posts/${id}/cancel`,
  `/api/v1/posts/${id}/metrics`,
  `/api/v1/ingestion/sources/${id}`,
  `/api/v1/ingestion/${id}/run`,
  `/api/v1/ingestion/${id}/records`,
  `/api/v1/sessions/${id}`,
  `/api/v1/sessions/${id}/datasets`,
  `/api/v1/sessions/${id}/nodes`,
  `/api/v1/sessions/${id}/nodes/${id}`,
  `/api/v1/sessions/${id}/nodes/${id}/rows`,
  `/api/v1/sessions/${id}/head`,
  `/api/v1/sessions/${id}/chat`,
  `/api/v1/sessions/${id}/messages`,
]);
// Task tokens (?token=) on the reads that take one, sent without an API key.
const ODD_TOKENS = [
  'token=',
  'token=cvt_',
  'token=cvt_%00',
  'token=%ff',
  'token[]=cvt_a',
  'token[a]=cvt_a',
  'token=cvt_a&token=cvt_b',
  'token=cvk_abcdefghijklmnop',
  `token=cvt_${'a'.repeat(5000)}`,
];
const TOKEN_READS = ODD_IDS.flatMap((id) => [`/api/v1/tasks/${id}`, `/api/v1/tasks/${id}/result`, `/api/v1/tasks/${id}/events`]);
const METHODS = ['get', 'post', 'put', 'patch', 'delete'] as const;
const BODY_METHODS = ['post', 'put', 'patch'] as const;

// The routes as the API serves them (a test keeps the table equal to Express's routes).
const ROUTES = new RouteTable(openApiDocument());
/**
 * The methods a path gets the odd bodies with: each it serves, and one it does not. Every
 * request's body is parsed and checked (json-body.ts, body-content.ts) before any route is
 * matched, the same way whatever the method, so past one unserved method each would only be
 * answered 405 after the same checks.
 */
function bodyMethodsOf(path: string): (typeof BODY_METHODS)[number][] {
  const served = ROUTES.allowed(path).map((m) => m.toLowerCase());
  const unserved = BODY_METHODS.find((m) => !served.includes(m));
  return BODY_METHODS.filter((m) => served.includes(m) || m === unserved);
}

type Caller = (path: string) => request.Test;
const call = (method: (typeof METHODS)[number], path: string) => (request(server) as unknown as Record<string, Caller>)[method]!(path);

/** Runs the requests a few at a time (the API serves tenants concurrently; the sweep need not wait on each). */
async function inPool(requests: (() => Promise<void>)[], size = 8): Promise<void> {
  let next = 0;
  const lane = async () => {
    while (next < requests.length) await requests[next++]!();
  };
  await Promise.all(Array.from({ length: size }, lane));
}

/** A sweep's record: check notes every answer of 500 or more in failures. */
function sweep() {
  const failures: string[] = [];
  const check = (what: string, res: request.Response) => {
    if (res.status >= 500) failures.push(`${what} → ${res.status} ${JSON.stringify(res.body).slice(0, 160)}`);
  };
  return { failures, check };
}

// A sweep of thousands of requests, split by caller so each part has its own time budget: on a
// busy two-core machine the whole sweep once took more than five minutes.
it.each(['tenant', 'admin'] as const)(
  'answers every odd id, query and body with less than 500 (as %s)',
  async (caller) => {
    const { failures, check } = sweep();
    const requests: (() => Promise<void>)[] = [];
    // The table is read (a path it does not know would get one unserved method only).
    expect(bodyMethodsOf('/api/v1/tasks')).toEqual(['post', 'put']);
    expect(bodyMethodsOf('/api/v1/schedules/x')).toEqual(['post', 'patch']);
    {
      const auth = { Authorization: `Bearer ${caller === 'tenant' ? h.keyA : h.adminKey}` };
      for (const path of [...COLLECTIONS, ...ITEMS])
        for (const method of METHODS) requests.push(async () => check(`${method} ${path}`, await call(method, path).set(auth)));
      for (const path of COLLECTIONS)
        for (const query of ODD_QUERIES) requests.push(async () => check(`get ${path}?${query}`, await call('get', `${path}?${query}`).set(auth)));
      for (const path of COLLECTIONS) {
        for (const body of ODD_BODIES) {
          for (const method of bodyMethodsOf(path)) {
            requests.push(async () => {
              const res = await call(method, path).set(auth).set('Content-Type', 'application/json').send(JSON.stringify(body));
              check(`${method} ${path} ${JSON.stringify(body).slice(0, 80)}`, res);
            });
          }
        }
      }
    }
    await inPool(requests);
    expect(failures).toEqual([]);
  },
  600_000,
);

it('answers odd token bodies and token reads with less than 500', async () => {
  const { failures, check } = sweep();
  const requests: (() => Promise<void>)[] = [];
  // Bodies reach an item route only when its item exists: a task of tenant A's for the tokens route.
  const own = (
    await call('post', '/api/v1/tasks')
      .set({ Authorization: `Bearer ${h.keyA}` })
      .send({ task: 'ping' })
  ).body.task_id as string;
  for (const body of ODD_BODIES) {
    requests.push(async () => {
      const res = await call('post', `/api/v1/tasks/${own}/tokens`)
        .set({ Authorization: `Bearer ${h.keyA}`, 'Content-Type': 'application/json' })
        .send(JSON.stringify(body));
      check(`post /api/v1/tasks/{own}/tokens ${JSON.stringify(body).slice(0, 80)}`, res);
    });
  }
  for (const path of TOKEN_READS)
    for (const query of ODD_TOKENS) requests.push(async () => check(`get ${path}?${query}`, await call('get', `${path}?${query}`)));
  await inPool(requests);
  expect(failures).toEqual([]);
}, 600_000);
