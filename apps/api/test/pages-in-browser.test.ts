import { once } from 'node:events';
import { type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Browser, Page } from 'playwright-core';
import request from 'supertest';
import { BROWSER_STEP_MS, BROWSER_TEST_MS, launchChromium, openPage } from '@conveyor/testkit';
import { failForGood, type Harness, startHarness } from './helpers';

// The API's HTML pages (API docs, queue dashboard, dead letters) in a real Chromium: they
// must work under their Content-Security-Policy, which allows no inline script, and they
// must refuse to be framed.

jest.setTimeout(BROWSER_TEST_MS);

let h: Harness;
let server: Server;
let base: string;
let browser: Browser;
beforeAll(async () => {
  // The browser starts while the API does: each waits on other processes for seconds when the machine is busy.
  [browser, h] = await Promise.all([launchChromium(), startHarness()]);
  server = h.app.listen(0, '127.0.0.1');
  await once(server, 'listening');
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}, 60_000);
afterAll(async () => {
  await browser?.close();
  server?.closeAllConnections();
  server?.close();
  await h?.close();
});

/** A page signed in as the admin (HTTP Basic, as a person would), with every CSP violation it reports. */
async function adminPage(): Promise<{ page: Page; violations: string[]; close: () => Promise<void> }> {
  const page = await openPage(browser, { httpCredentials: { username: 'admin', password: h.adminKey } });
  const violations: string[] = [];
  page.on('console', (message) => {
    if (/Content Security Policy/i.test(message.text())) violations.push(message.text());
  });
  return { page, violations, close: () => page.context().close() };
}

it('renders the API docs under the page policy', async () => {
  const { page, violations, close } = await adminPage();
  try {
    const response = await page.goto(`${base}/docs/`);
    expect(response?.headers()['content-security-policy']).toMatch(/frame-ancestors 'none'/);
    await page.locator('.swagger-ui .info .title').filter({ hasText: 'Conveyor API' }).waitFor();
    await page
      .locator('.opblock-summary-path')
      .filter({ hasText: /^\/tasks$/ })
      .first()
      .waitFor(); // paths are relative to the server, /api/v1
    expect(violations).toEqual([]);
  } finally {
    await close();
  }
});

it('renders the queue dashboard, with no X-Powered-By from its own Express app', async () => {
  const { page, violations, close } = await adminPage();
  try {
    const response = await page.goto(`${base}/admin/queues`);
    expect(response?.headers()['x-powered-by']).toBeUndefined();
    expect(response?.headers()['content-security-policy']).toMatch(/frame-ancestors 'none'/);
    await page.getByText('monitoring', { exact: false }).first().waitFor();
    // bull-board asks Google for its fonts; the policy keeps an admin page from calling a
    // third party (it falls back to local fonts). That is the only thing blocked.
    expect(violations.filter((v) => !v.includes('https://fonts.googleapis.com/'))).toEqual([]);
  } finally {
    await close();
  }
});

it('replays all dead letters only after the confirmation, which its script asks for', async () => {
  const submitted = await request(h.app).post('/api/v1/tasks').set('Authorization', `Bearer ${h.keyA}`).send({ task: 'ping' });
  const id = await failForGood(h.db, submitted.body.task_id);
  const { page, violations, close } = await adminPage();
  try {
    await page.goto(`${base}/admin/dead-letters`);
    await page.getByText(id).waitFor();

    // Said no: nothing is replayed and the page stays.
    page.once('dialog', (dialog) => void dialog.dismiss());
    await page.getByRole('button', { name: /Replay all/ }).click();
    expect((await h.db.selectFrom('tasks').select('status').where('id', '=', id).executeTakeFirstOrThrow()).status).toBe('FAILURE');

    // Said yes: the form posts (with this page's Origin) and the page says what it did.
    page.once('dialog', (dialog) => void dialog.accept());
    await Promise.all([page.waitForURL(/replayed=/), page.getByRole('button', { name: /Replay all/ }).click()]);
    await page.getByText(/Replayed [1-9]\d* task\(s\)/).waitFor();
    expect((await h.db.selectFrom('tasks').select('status').where('id', '=', id).executeTakeFirstOrThrow()).status).toBe('PENDING');
    expect(violations).toEqual([]);
  } finally {
    await close();
  }
});

it('will not show a page inside a frame of another site', async () => {
  // Another origin: a second server on another port whose page frames the docs.
  const framer = createServer((_req, res) => res.writeHead(200, { 'Content-Type': 'text/html' }).end(`<iframe src="${base}/docs/"></iframe>`));
  framer.listen(0, '127.0.0.1');
  await once(framer, 'listening');
  const { page, violations, close } = await adminPage();
  try {
    const framed = page.waitForEvent('console', { predicate: (m) => /frame-ancestors/.test(m.text()), timeout: BROWSER_STEP_MS }).catch(() => undefined);
    await page.goto(`http://127.0.0.1:${(framer.address() as AddressInfo).port}/`);
    await framed;
    expect(violations.some((v) => /frame-ancestors 'none'/.test(v))).toBe(true);
    const frame = page.frames().find((f) => f !== page.mainFrame());
    expect(
      await frame
        ?.locator('.swagger-ui')
        .count()
        .catch(() => 0),
    ).toBe(0);
  } finally {
    await close();
    framer.close();
  }
});
