import { once } from 'node:events';
import { type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { claimTask, completeTask, recordProgress } from '@conveyor/db';
import { waitFor } from '@conveyor/testkit';
import type { Browser, Page } from 'playwright-core';
import request from 'supertest';
import { BROWSER_STEP_MS, BROWSER_TEST_MS, launchChromium, openPage } from '@conveyor/testkit';
import { type Harness, startHarness } from './helpers';

// A page served from another origin (a CDN, here a second server on another port) follows a
// task with a plain EventSource and a task token: no API key, no headers, no credentials.

interface Seen {
  event: string;
  data: Record<string, unknown>;
}
/** What the page's script uses of the browser (this package compiles without the DOM's types). */
interface PageGlobals {
  seen: Seen[];
  failed: boolean;
  EventSource: new (url: string) => {
    addEventListener(type: string, listener: (e: { data: string }) => void): void;
    onerror: (() => void) | null;
    close(): void;
  };
}

jest.setTimeout(BROWSER_TEST_MS);

let h: Harness;
let api: Server;
let cdn: Server;
let apiBase: string;
let cdnBase: string;
let browser: Browser;

const listen = async (server: Server) => {
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
};

beforeAll(async () => {
  // The browser starts while the API does: each waits on other processes for seconds when the machine is busy.
  [browser, h] = await Promise.all([launchChromium(), startHarness()]);
  api = createServer(h.app);
  apiBase = await listen(api);
  cdn = createServer((_req, res) => res.writeHead(200, { 'Content-Type': 'text/html' }).end('<!doctype html><title>a page on a CDN</title>'));
  cdnBase = await listen(cdn);
}, 60_000);
afterAll(async () => {
  await browser?.close();
  for (const server of [api, cdn]) {
    server?.closeAllConnections();
    server?.close();
  }
  await h?.close();
});

const submit = async () =>
  (
    await request(h.app)
      .post('/api/v1/tasks')
      .set('Authorization', `Bearer ${h.keyA}`)
      .send({ task: 'test_task', payload: { message: 'cdn' } })
      .expect(202)
  ).body.task_id as string;
const tokenFor = async (id: string) =>
  (await request(h.app).post(`/api/v1/tasks/${id}/tokens`).set('Authorization', `Bearer ${h.keyA}`).expect(201)).body as { token: string; events_url: string };

/** The CDN's page, with an EventSource on `url` that records every event into window.seen, and any error. */
async function pageFollowing(url: string): Promise<Page> {
  const page = await openPage(browser);
  await page.goto(`${cdnBase}/`);
  await page.evaluate((eventsUrl) => {
    // Runs in the page: globalThis is its window.
    const page = globalThis as unknown as PageGlobals;
    page.seen = [];
    page.failed = false;
    const source = new page.EventSource(eventsUrl);
    const record = (event: string) => (e: { data: string }) => page.seen.push({ event, data: JSON.parse(e.data) as Record<string, unknown> });
    source.addEventListener('state', record('state'));
    source.addEventListener('end', (e) => {
      record('end')(e);
      source.close();
    });
    source.onerror = () => {
      page.failed = true;
      source.close();
    };
  }, url);
  return page;
}

const seenBy = (page: Page): Promise<Seen[]> => page.evaluate(() => (globalThis as unknown as PageGlobals).seen);
const failedIn = (page: Page): Promise<boolean> => page.evaluate(() => (globalThis as unknown as PageGlobals).failed);
const untilSeen = (page: Page, what: string, test: (seen: Seen[]) => boolean) =>
  waitFor(async () => (test(await seenBy(page)) ? true : undefined), `the page to see ${what}`, BROWSER_STEP_MS);

it('follows a task from another origin with EventSource and a task token, to the end and its result', async () => {
  const id = await submit();
  const { events_url } = await tokenFor(id);
  const page = await pageFollowing(`${apiBase}${events_url}`);
  try {
    expect(new URL(page.url()).origin).not.toBe(new URL(apiBase).origin);
    // Each change is made once the page saw the one before, so none is merged into the next.
    await untilSeen(page, 'PENDING', (seen) => seen.some((e) => e.data.status === 'PENDING'));
    const claim = (await claimTask(h.db, id))!;
    h.events.publish({ task_id: id, status: 'STARTED', progress: 0, message: null, attempts: 1 });
    await untilSeen(page, 'STARTED', (seen) => seen.some((e) => e.data.status === 'STARTED'));
    await recordProgress(h.db, { ...claim, progress: 50, message: 'halfway' });
    h.events.publish({ task_id: id, status: 'PROGRESS', progress: 50, message: 'halfway', attempts: 1 });
    await untilSeen(page, 'PROGRESS 50', (seen) => seen.some((e) => e.data.progress === 50));
    await completeTask(h.db, { ...claim, result: { echo: 'cdn' }, retentionMs: 60_000 });
    h.events.publish({ task_id: id, status: 'SUCCESS', progress: 100, message: 'Task completed', attempts: 1 });
    await untilSeen(page, 'the end', (seen) => seen.some((e) => e.event === 'end'));

    const seen = await seenBy(page);
    const states = seen.filter((e) => e.event === 'state').map((e) => e.data.status);
    expect(states.filter((s, i) => s !== states[i - 1])).toEqual(['PENDING', 'STARTED', 'PROGRESS']);
    expect(seen.at(-1)).toEqual({ event: 'end', data: expect.objectContaining({ task_id: id, status: 'SUCCESS', result: { echo: 'cdn' }, error: null }) });
    expect(await failedIn(page)).toBe(false);
  } finally {
    await page.context().close();
  }
});

it("fails on another task's events with the same token, and fetch tells the page it is a 404", async () => {
  const { token } = await tokenFor(await submit());
  const other = await submit();
  const url = `${apiBase}/api/v1/tasks/${other}/events?token=${token}`;
  const page = await pageFollowing(url);
  try {
    await waitFor(async () => ((await failedIn(page)) ? true : undefined), 'the EventSource to fail', BROWSER_STEP_MS);
    expect(await seenBy(page)).toEqual([]);
    // The answer is readable from this origin: a 404 like a task that does not exist.
    const answer = await page.evaluate(async (u) => {
      const res = await fetch(u);
      return { status: res.status, body: (await res.json()) as { error: string } };
    }, url);
    expect(answer).toEqual({ status: 404, body: expect.objectContaining({ error: 'task_not_found' }) });
  } finally {
    await page.context().close();
  }
});
