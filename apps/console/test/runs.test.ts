import { freePort } from '@conveyor/testkit';
import { sql } from 'kysely';
import type { Page } from 'playwright-core';
import { ConsoleStack, type Json, UI_TIMEOUT_MS, screenshot } from './support/console-stack';

// The console's runs in a real Chromium against the real API (serving the built console) and
// the monitoring worker: signing in, following a run live, a failed run's error and attempts,
// tenant isolation, and a tenant with 100,000 runs paged and filtered by the server.

jest.setTimeout(240_000);

let s: ConsoleStack;
beforeAll(async () => {
  // No worker yet: the live test starts it once its page is watching a PENDING task.
  s = await ConsoleStack.start({ apps: [] });
}, 300_000);
afterAll(async () => {
  await s?.stop();
}, 60_000);

/** The monitoring worker, started once: by the live test after its page watches, or by whichever test needs it first. */
let worker: Promise<unknown> | undefined;
const startWorker = async () => (worker ??= freePort().then((port) => s.stack.start('worker-monitoring', port)));

const rowsOf = (page: Page) => page.locator('table.runs tbody tr');
const idsOnPage = async (page: Page) => rowsOf(page).evaluateAll((rows) => rows.map((row) => row.getAttribute('data-task-id')));

it('signs in with a tenant key (refusing a wrong one with the API words), shows the tenant, and signs out', async () => {
  const tenant = await s.tenant('Acme Signin');
  const context = await s.browser.newContext({ viewport: { width: 1400, height: 900 } });
  context.setDefaultTimeout(UI_TIMEOUT_MS);
  const page = await context.newPage();
  await page.goto(`${s.base}/console/runs`);
  await page.getByLabel('API key').fill('cvk_not-a-key-anyone-was-given');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('alert').filter({ hasText: '401' }).waitFor();
  await screenshot(page, 'sign-in');

  await page.getByLabel('API key').fill(tenant.api_key);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByTestId('tenant-name').filter({ hasText: 'Acme Signin' }).waitFor();
  const cookie = await ConsoleStack.cookieOf(context);
  expect((await s.call('GET', '/auth/session', { cookie })).body.principal).toMatchObject({ kind: 'tenant', tenant_id: tenant.tenant_id });

  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.getByLabel('API key').waitFor();
  expect((await s.call('GET', '/auth/session', { cookie })).status).toBe(401);
  await context.close();
});

it('follows a submitted task from PENDING to SUCCESS live on its run page, with its result', async () => {
  const tenant = await s.tenant('Acme Live');
  const submitted = await s.call(
    'POST',
    '/tasks',
    { key: tenant.api_key },
    { task: 'test_task', payload: { message: 'watched live', steps: 4, step_ms: 300 } },
  );
  expect(submitted.status).toBe(202);
  const id = submitted.body.task_id as string;
  const { page, context, cspViolations } = await s.signIn(tenant.api_key);
  await page.goto(`${s.base}/console/runs/${id}`);
  await page.locator('h1 .status-pending').waitFor();
  await page.locator('[data-fact="live"]').filter({ hasText: 'live' }).waitFor();

  // The page is watching; only now may a worker take the task. The page does not poll a run:
  // what it shows from here on came over the task's event stream.
  await startWorker();
  await page.locator('h1 .status-success').waitFor();
  await page.locator('pre.json').filter({ hasText: '"echo": "watched live"' }).waitFor();
  await page.locator('[role="progressbar"][aria-valuenow="100"]').waitFor();
  await page.locator('table.attempts tbody tr.outcome-success').waitFor();
  await page.locator('.logs li').filter({ hasText: 'step 4 of 4' }).waitFor();
  await screenshot(page, 'run-success');
  expect(cspViolations).toEqual([]);
  await context.close();
});

it('opens a failed run: its error, and every attempt with its outcome', async () => {
  const tenant = await s.tenant('Acme Failures');
  await startWorker();
  const submitted = await s.call(
    'POST',
    '/tasks',
    { key: tenant.api_key },
    { task: 'test_task', payload: { message: 'doomed', steps: 1, step_ms: 0, fail_attempts: 5 } },
  );
  const id = submitted.body.task_id as string;
  const ended = await s.waitForEnd(id, tenant.api_key);
  expect(ended.status).toBe('FAILURE');
  const error = (await s.call('GET', `/tasks/${id}/result`, { key: tenant.api_key })).body.error as Json;

  const { page, context } = await s.signIn(tenant.api_key);
  await page.goto(`${s.base}/console/runs/${id}`);
  await page.locator('h1 .status-failure').waitFor();
  await page.locator('.outcome.failed').filter({ hasText: error.message }).waitFor();
  const outcomes = await page.locator('table.attempts tbody tr td:nth-child(4)').allTextContents();
  expect(outcomes).toEqual((ended.attempt_history as Json[]).map((a) => a.outcome));
  expect(outcomes).toHaveLength(3);
  expect(outcomes.at(-1)).toBe('failure');
  await expect(page.getByRole('button', { name: 'Retry' }).isEnabled()).resolves.toBe(true);
  await expect(page.getByRole('button', { name: 'Cancel' }).isDisabled()).resolves.toBe(true);
  await screenshot(page, 'run-failed');

  // Replay makes a new run of the same payload, and the console goes to it.
  await page.getByRole('button', { name: 'Replay as a new run' }).click();
  await page.waitForURL((url) => url.pathname.startsWith('/console/runs/') && !url.pathname.endsWith(id));
  const replayId = page.url().split('/').at(-1)!;
  expect((await s.call('GET', `/tasks/${replayId}`, { key: tenant.api_key })).body).toMatchObject({
    task: 'test_task',
    payload: { message: 'doomed', fail_attempts: 5 },
  });
  await context.close();
});

it("never shows one tenant another's runs: not in the list, not by id, not through the API with the console's cookie", async () => {
  const [a, b] = await Promise.all([s.tenant('Acme Private'), s.tenant('Globex Private')]);
  const secret = await s.call('POST', '/tasks', { key: a.api_key }, { task: 'ping', payload: {}, tags: ['secret'] });
  const own = await s.call('POST', '/tasks', { key: b.api_key }, { task: 'ping', payload: {} });
  const secretId = secret.body.task_id as string;

  const { page, context } = await s.signIn(b.api_key);
  await page.goto(`${s.base}/console/runs`);
  await rowsOf(page).first().waitFor();
  expect(await idsOnPage(page)).toEqual([own.body.task_id]);
  // The list is live: a run submitted now appears without a reload (it polls).
  const later = await s.call('POST', '/tasks', { key: b.api_key }, { task: 'ping', payload: {} });
  await page.locator(`table.runs tr[data-task-id="${later.body.task_id}"]`).waitFor();
  expect(await idsOnPage(page)).toEqual([later.body.task_id, own.body.task_id]);

  await page.goto(`${s.base}/console/runs/${secretId}`);
  await page.getByRole('alert').filter({ hasText: '404' }).waitFor();
  expect(await page.content()).not.toContain('secret');

  const cookie = await ConsoleStack.cookieOf(context);
  expect((await s.call('GET', `/tasks/${secretId}`, { cookie })).status).toBe(404);
  expect((await s.call('GET', `/tasks/${secretId}/result`, { cookie })).status).toBe(404);
  expect((await s.call('POST', `/tasks/${secretId}/cancel`, { cookie })).status).toBe(404);
  const listed = await s.call('GET', '/tasks?limit=200', { cookie });
  expect(listed.status).toBe(200);
  expect((listed.body.tasks as Json[]).map((t) => t.task_id)).toEqual([later.body.task_id, own.body.task_id]);
  await context.close();
});

describe('a tenant with 100,000 runs', () => {
  const TOTAL = 100_000;
  let key: string;
  let tenantId: string;
  const db = () => s.database();

  beforeAll(async () => {
    const tenant = await s.tenant('Bulk Runs');
    key = tenant.api_key;
    tenantId = tenant.tenant_id;
    const kysely = db();
    try {
      // Finished runs only (no reconciler may take them), a second apart, newest now; every
      // third failed, ping and test_task alternating, every tenth tagged campaign:big.
      await sql`
        insert into tasks (id, tenant_id, task, queue, status, payload, result, error, progress, attempt, max_attempts, created_at, updated_at, started_at, finished_at, tags)
        select gen_random_uuid(), ${tenantId}::uuid,
               case when i % 2 = 0 then 'ping' else 'test_task' end, 'monitoring',
               case when i % 3 = 0 then 'FAILURE' else 'SUCCESS' end,
               '{}'::jsonb,
               case when i % 3 = 0 then null else '"pong"'::jsonb end,
               case when i % 3 = 0 then '{"type":"TransientError","message":"bulk failure"}'::jsonb else null end,
               100, 1, 1,
               now() - make_interval(secs => i), now() - make_interval(secs => i),
               now() - make_interval(secs => i), now() - make_interval(secs => i) + interval '250 milliseconds',
               case when i % 10 = 0 then array['campaign:big'] else array[]::text[] end
        from generate_series(1, ${TOTAL}) as i`.execute(kysely);
    } finally {
      await kysely.destroy();
    }
  }, 120_000);

  /** The ids the API's own order gives, newest first, for a filter (SQL, for comparison). */
  async function newestIds(where: { status?: string; task?: string }, offset: number, limit: number): Promise<string[]> {
    const kysely = db();
    try {
      let query = kysely.selectFrom('tasks').select('id').where('tenant_id', '=', tenantId);
      if (where.status) query = query.where('status', '=', where.status as 'FAILURE');
      if (where.task) query = query.where('task', '=', where.task);
      const rows = await query.orderBy('created_at', 'desc').orderBy('id', 'desc').offset(offset).limit(limit).execute();
      return rows.map((row) => row.id);
    } finally {
      await kysely.destroy();
    }
  }

  it('pages through them 50 at a time, asking the server for one page each time', async () => {
    const { page, context } = await s.signIn(key);
    const asked: URL[] = [];
    page.on('request', (request) => {
      const url = new URL(request.url());
      if (url.pathname === '/api/v1/tasks') asked.push(url);
    });
    await page.goto(`${s.base}/console/runs`);
    await rowsOf(page).nth(49).waitFor();
    expect(await idsOnPage(page)).toEqual(await newestIds({}, 0, 50));
    await screenshot(page, 'runs', { readme: true });

    await page.getByRole('button', { name: 'Older →' }).click();
    await page.waitForURL(/cursor=/);
    const second = await newestIds({}, 50, 50);
    await page.locator(`table.runs tr[data-task-id="${second[0]}"]`).waitFor();
    expect(await idsOnPage(page)).toEqual(second);
    await page.getByRole('button', { name: 'Older →' }).click();
    const third = await newestIds({}, 100, 50);
    await page.locator(`table.runs tr[data-task-id="${third[0]}"]`).waitFor();
    expect(await idsOnPage(page)).toEqual(third);

    await page.getByRole('button', { name: '← Newer' }).click();
    await page.locator(`table.runs tr[data-task-id="${second[0]}"]`).waitFor();
    expect(await idsOnPage(page)).toEqual(second);
    // Every list the page asked for was one page of 50, the later ones from a cursor.
    expect(asked.length).toBeGreaterThanOrEqual(4);
    expect(asked.every((url) => url.searchParams.get('limit') === '50')).toBe(true);
    expect(asked.filter((url) => url.searchParams.has('cursor')).length).toBeGreaterThanOrEqual(3);
    await context.close();
  });

  it('filters on the server, keeps the filters in the URL, and pages within them', async () => {
    const { page, context } = await s.signIn(key);
    await page.goto(`${s.base}/console/runs`);
    await rowsOf(page).nth(49).waitFor();
    await page.getByRole('checkbox', { name: 'FAILURE' }).check();
    await page.getByLabel('task', { exact: true }).fill('ping');
    await page.getByRole('button', { name: 'Apply' }).click();
    await page.waitForURL((url) => url.searchParams.get('status') === 'FAILURE' && url.searchParams.get('task') === 'ping');
    const expected = await newestIds({ status: 'FAILURE', task: 'ping' }, 0, 50);
    await page.locator(`table.runs tr[data-task-id="${expected[0]}"]`).waitFor();
    expect(await idsOnPage(page)).toEqual(expected);
    expect(new Set(await page.locator('table.runs tbody td:nth-child(2)').allTextContents())).toEqual(new Set(['ping']));

    // The URL alone brings the same filtered page back (a link someone was sent).
    const url = page.url();
    const other = await context.newPage();
    await other.goto(url);
    await other.locator(`table.runs tr[data-task-id="${expected[0]}"]`).waitFor();
    expect(await idsOnPage(other)).toEqual(expected);
    await other.getByRole('button', { name: 'Older →' }).click();
    const next = await newestIds({ status: 'FAILURE', task: 'ping' }, 50, 50);
    await other.locator(`table.runs tr[data-task-id="${next[0]}"]`).waitFor();
    expect(await idsOnPage(other)).toEqual(next);

    // A tag and a time range, typed into the URL as a person might share it.
    const before = (await newestIds({}, 5_000, 1))[0]!;
    const kysely = db();
    const cutoff = (await kysely.selectFrom('tasks').select('created_at').where('id', '=', before).executeTakeFirstOrThrow()).created_at as Date;
    const tagged = (
      await kysely
        .selectFrom('tasks')
        .select('id')
        .where('tenant_id', '=', tenantId)
        .where('created_at', '<', cutoff)
        .where(sql<boolean>`'campaign:big' = any(tags)`)
        .orderBy('created_at', 'desc')
        .orderBy('id', 'desc')
        .limit(50)
        .execute()
    ).map((row) => row.id);
    await kysely.destroy();
    expect(tagged).toHaveLength(50);
    await other.goto(`${s.base}/console/runs?${new URLSearchParams({ tag: 'campaign:big', created_before: cutoff.toISOString() })}`);
    await other.locator(`table.runs tr[data-task-id="${tagged[0]}"]`).waitFor();
    expect(await idsOnPage(other)).toEqual(tagged);
    expect(new Set(await other.locator('table.runs tbody td:nth-child(3)').allTextContents())).toEqual(new Set(['monitoring']));
    await context.close();
  });
});
