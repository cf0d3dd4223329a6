import { once } from 'node:events';
import { type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { build } from 'esbuild';
import type { Browser } from 'playwright-core';
import type { TaskState } from '../src/react';
import { BROWSER_TEST_MS, launchChromium, openPage } from '@conveyor/testkit';
import { type ClientStack, startStack } from './support/stack';

// useTask in a real Chromium: a page served from its own loopback origin (not the API's)
// follows a task through the API's live events with a task token, as an app would.

jest.setTimeout(BROWSER_TEST_MS);

let s: ClientStack;
let browser: Browser;
let pages: Server;
let pageOrigin: string;
beforeAll(async () => {
  [s, browser] = await Promise.all([startStack({ worker: true }), launchChromium()]);
  const bundle = await build({
    entryPoints: [path.join(__dirname, 'browser/task-page.ts')],
    bundle: true,
    write: false,
    format: 'iife',
    platform: 'browser',
    define: { 'process.env.NODE_ENV': '"production"' },
    logLevel: 'silent',
    // The page imports the hook's source; the bundle takes what is published, dist/react.js.
    plugins: [{ name: 'built-hook', setup: (b) => b.onResolve({ filter: /\/src\/react$/ }, () => ({ path: path.join(__dirname, '../dist/react.js') })) }],
  });
  const script = bundle.outputFiles[0]!.text;
  pages = createServer((req, res) => {
    if (req.url?.startsWith('/task-page.js')) return res.writeHead(200, { 'Content-Type': 'text/javascript' }).end(script);
    res.writeHead(200, { 'Content-Type': 'text/html' }).end('<!doctype html><meta charset="utf-8"><div id="root"></div><script src="/task-page.js"></script>');
  });
  pages.listen(0, '127.0.0.1');
  await once(pages, 'listening');
  pageOrigin = `http://127.0.0.1:${(pages.address() as AddressInfo).port}`;
}, 300_000);
afterAll(async () => {
  await browser?.close();
  pages?.close();
  await s?.stop();
}, 30_000);

/** Opens the page on a task and returns every state the hook went through, once it is done. */
async function follow(taskId: string, token: string): Promise<TaskState[]> {
  const page = await openPage(browser);
  try {
    await page.goto(`${pageOrigin}/?${new URLSearchParams({ api: s.baseUrl, task: taskId, token })}`);
    await page.locator('#task[data-done="true"]').waitFor();
    return await page.evaluate(() => window.taskStates);
  } finally {
    await page.context().close();
  }
}

it('follows a task to its result with a task token, from a page of another origin', async () => {
  const conveyor = await s.tenant();
  const { id } = await conveyor.tasks.submit('test_task', { message: 'in the browser', steps: 4, step_ms: 250 });
  const token = await conveyor.tasks.createToken(id, { ttlSeconds: 300 });
  expect(token).toEqual({
    token: expect.stringMatching(/^cvt_/),
    taskId: id,
    expiresAt: expect.any(String),
    eventsUrl: `${s.baseUrl}/api/v1/tasks/${id}/events?token=${token.token}`,
  });

  const states = await follow(id, token.token);
  expect(states[0]).toEqual({ status: null, progress: 0, message: null, result: null, error: null, done: false });
  expect(states.at(-1)).toEqual({ status: 'SUCCESS', progress: 100, message: expect.any(String), result: { echo: 'in the browser' }, error: null, done: true });
  expect(states.slice(1, -1).every((state) => !state.done && state.status !== null)).toBe(true);
  const progress = states.map((state) => state.progress);
  expect(progress).toEqual([...progress].sort((a, b) => a - b));
});

it('reports a refused stream as a StreamError and stops', async () => {
  const conveyor = await s.tenant();
  const { id } = await conveyor.tasks.submit('ping', {}, { delayMs: 3_600_000 });
  const states = await follow(id, 'cvt_not-a-token-anyone-was-given');
  expect(states.at(-1)).toEqual({
    status: null,
    progress: 0,
    message: null,
    result: null,
    error: { type: 'StreamError', message: expect.stringContaining(`task ${id} were refused`) },
    done: true,
  });
});
