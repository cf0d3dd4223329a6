import fs from 'node:fs';
import path from 'node:path';
import { createDb, migrateUrl, schemaFingerprint } from '@conveyor/db';
import { LlmSimulator } from '@conveyor/sim';
import { AppStack, BROWSER_STEP_MS, freePort, launchChromium, waitFor } from '@conveyor/testkit';
import type { Browser, BrowserContext, Page } from 'playwright-core';

/** Where the test run writes a screenshot of each page (git-ignored), and the one the README shows. */
const SCREENSHOTS = path.join(__dirname, '..', '..', 'screenshots');
const README_SHOT = path.join(__dirname, '..', '..', '..', '..', 'docs', 'console-runs.png');
const DIST_INDEX = path.join(__dirname, '..', '..', 'dist', 'index.html');

/** Bounds for a hang, not for a speed: the machine may be busy (the same bound as every browser test's step). */
export const UI_TIMEOUT_MS = BROWSER_STEP_MS;

// The tests read the API's JSON as a script would, untyped.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Json = Record<string, any>;

/**
 * A test file's console: the real API (serving apps/console/dist) and the workers it asks
 * for as processes, a headless Chromium, and tenants made by the real CLI.
 */
export class ConsoleStack {
  private constructor(
    readonly stack: AppStack,
    readonly base: string,
    readonly browser: Browser,
    private readonly sim: LlmSimulator | undefined,
  ) {}

  static async start(options: { apps: ('worker-monitoring' | 'worker-analysis' | 'scheduler')[]; llm?: boolean }): Promise<ConsoleStack> {
    if (!fs.existsSync(DIST_INDEX)) throw new Error('apps/console/dist is missing: build the console first (pnpm exec turbo run build)');
    const sim = options.llm ? new LlmSimulator() : undefined;
    const llmEnv: Record<string, string> = sim ? { OPENROUTER_BASE_URL: await sim.listen(), OPENROUTER_API_KEY: 'sk-sim' } : {};
    const stack = await AppStack.create({
      template: { key: schemaFingerprint(), migrate: migrateUrl },
      // Retries of test_task come after 0.1 to 0.5 s rather than the default 1 to 60 s.
      env: { TASK_OVERRIDES: JSON.stringify({ test_task: { backoff: { baseMs: 100, maxMs: 500 } } }), ...llmEnv },
    });
    const apiPort = await freePort();
    const [browser] = await Promise.all([
      launchChromium(),
      stack.start('api', apiPort),
      ...options.apps.map(async (app) => stack.start(app, await freePort())),
    ]);
    return new ConsoleStack(stack, `http://127.0.0.1:${apiPort}`, browser, sim);
  }

  async stop(): Promise<void> {
    await this.browser.close().catch(() => undefined);
    await this.stack.stop();
    await this.sim?.close();
  }

  /** A new tenant (real CLI): its id, name and API key. */
  async tenant(name: string): Promise<{ tenant_id: string; api_key: string; name: string }> {
    return { ...(await this.stack.createTenant(name)), name };
  }

  /** Calls the API with a key or a session cookie, as a script would; answers status and body. */
  async call(method: string, route: string, auth: { key: string } | { cookie: string }, body?: unknown): Promise<{ status: number; body: Json }> {
    const headers: Record<string, string> = 'key' in auth ? { Authorization: `Bearer ${auth.key}` } : { Cookie: auth.cookie, 'X-Conveyor-CSRF': '1' };
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    const response = await fetch(`${this.base}/api/v1${route}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    const text = await response.text();
    return { status: response.status, body: text ? JSON.parse(text) : {} };
  }

  /** Waits (bounded) until a task the API reports is finished, and answers its record. */
  async waitForEnd(taskId: string, key: string): Promise<Json> {
    return waitFor(
      async () => {
        const { body } = await this.call('GET', `/tasks/${taskId}`, { key });
        return ['SUCCESS', 'FAILURE', 'REVOKED'].includes(body.status) ? body : undefined;
      },
      `task ${taskId} to end`,
      UI_TIMEOUT_MS * 2,
      200,
    );
  }

  /** The test database, for what only SQL can set up quickly (many rows). */
  database() {
    return createDb(this.stack.database.url);
  }

  /** A browser window of 1400x900 signed in to the console with this key, as a person does it (the sign-in form). */
  async signIn(key: string): Promise<{ page: Page; context: BrowserContext; cspViolations: string[] }> {
    const context = await this.browser.newContext({ viewport: { width: 1400, height: 900 } });
    context.setDefaultTimeout(UI_TIMEOUT_MS);
    const page = await context.newPage();
    const cspViolations: string[] = [];
    page.on('console', (message) => {
      if (/Content Security Policy/i.test(message.text())) cspViolations.push(message.text());
    });
    await page.goto(`${this.base}/console/`);
    await page.getByLabel('API key').fill(key);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('link', { name: 'Runs' }).waitFor();
    return { page, context, cspViolations };
  }

  /** The console's session cookie of a signed-in browser, as a Cookie header. */
  static async cookieOf(context: BrowserContext): Promise<string> {
    const cookie = (await context.cookies()).find((c) => c.name === 'conveyor_session');
    if (!cookie) throw new Error('the browser holds no conveyor_session cookie');
    return `${cookie.name}=${cookie.value}`;
  }
}

/**
 * A screenshot of the page at 1400x900 into apps/console/screenshots/<name>.png (git-ignored);
 * the runs page's also replaces the README's docs/console-runs.png when UPDATE_README_SCREENSHOT=1.
 */
export async function screenshot(page: Page, name: string, options: { readme?: boolean } = {}): Promise<void> {
  fs.mkdirSync(SCREENSHOTS, { recursive: true });
  const file = path.join(SCREENSHOTS, `${name}.png`);
  await page.screenshot({ path: file });
  if (options.readme && process.env.UPDATE_README_SCREENSHOT === '1') fs.copyFileSync(file, README_SHOT);
}
