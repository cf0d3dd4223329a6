import { once } from 'node:events';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { BROWSER_TEST_MS, launchChromium, openPage } from '@conveyor/testkit';
import { type Harness, startHarness } from './helpers';

// A stand-in console build in a real Chromium: served at /console under its CSP, it signs in
// with fetch, and the browser then sends the HttpOnly cookie on its own (SameSite=Strict, same
// origin); a change needs X-Conveyor-CSRF; signing out ends it. An inline script never runs.

const INDEX = `<!doctype html><html><head><title>console</title>
<script>window.inlineRan = true;</script>
<script type="module" src="/console/assets/app-5e1f.js"></script></head><body></body></html>`;

// Reads the key from the fragment (never sent to a server) and writes what it saw into the page.
const APP = `
const out = (id, value) => { const el = document.createElement('pre'); el.id = id; el.textContent = JSON.stringify(value); document.body.append(el); };
const json = { 'Content-Type': 'application/json' };
const submit = (headers) => fetch('/api/v1/tasks', { method: 'POST', headers: { ...json, ...headers }, body: JSON.stringify({ task: 'test_task', payload: { message: 'from a browser' } }) });
(async () => {
  const key = decodeURIComponent(location.hash.slice(1));
  const before = await fetch('/api/v1/tasks');
  const signIn = await fetch('/api/v1/auth/session', { method: 'POST', headers: json, body: JSON.stringify({ api_key: key }) });
  const cookieVisible = document.cookie.includes('conveyor_session');
  const list = await fetch('/api/v1/tasks');
  const noCsrf = await submit({});
  const withCsrf = await submit({ 'X-Conveyor-CSRF': '1' });
  const signOut = await fetch('/api/v1/auth/session', { method: 'DELETE', headers: { 'X-Conveyor-CSRF': '1' } });
  const after = await fetch('/api/v1/tasks');
  out('result', { before: before.status, signIn: signIn.status, cookieVisible, list: list.status, noCsrf: noCsrf.status, withCsrf: withCsrf.status, signOut: signOut.status, after: after.status, inlineRan: window.inlineRan === true });
})();
`;

jest.setTimeout(BROWSER_TEST_MS);

let h: Harness;
let root: string;
let server: Server;
let base: string;
let browser: Browser;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'console-browser-'));
  await mkdir(join(root, 'assets'), { recursive: true });
  await writeFile(join(root, 'index.html'), INDEX);
  await writeFile(join(root, 'assets', 'app-5e1f.js'), APP);
  // The browser starts while the API does: each waits on other processes for seconds when the machine is busy.
  [browser, h] = await Promise.all([launchChromium(), startHarness({ env: { CONSOLE_DIST: root } })]);
  server = h.app.listen(0, '127.0.0.1');
  await once(server, 'listening');
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}, 60_000);
afterAll(async () => {
  await browser?.close();
  server?.closeAllConnections();
  server?.close();
  await h?.close();
  await rm(root, { recursive: true, force: true });
});

it('signs in with fetch, then the browser sends the cookie itself; changes need the CSRF header; an inline script is blocked', async () => {
  const page = await openPage(browser);
  try {
    const violations: string[] = [];
    page.on('console', (message) => {
      if (/Content Security Policy/i.test(message.text())) violations.push(message.text());
    });
    await page.goto(`${base}/console/runs/recent#${encodeURIComponent(h.keyA)}`);
    const result: unknown = JSON.parse((await page.locator('#result').textContent()) ?? 'null');
    expect(result).toEqual({
      before: 401,
      signIn: 201,
      cookieVisible: false,
      list: 200,
      noCsrf: 403,
      withCsrf: 202,
      signOut: 204,
      after: 401,
      inlineRan: false,
    });
    expect(violations).toEqual([expect.stringMatching(/inline script/i)]);
    const tasks = await h.db.selectFrom('tasks').select('tenant_id').execute();
    expect(tasks).toEqual([{ tenant_id: h.tenantA }]);
    expect(await page.context().cookies()).toEqual([]);
  } finally {
    await page.context().close();
  }
});
