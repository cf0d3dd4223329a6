import fs from 'node:fs';
import type { Browser, BrowserContextOptions, Page } from 'playwright-core';

// The browser tests drive Debian's chromium (`npm test` installs it when it is missing).
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** A headless Chromium for a test file; it fails with what to do when there is none. */
export async function launchChromium(): Promise<Browser> {
  if (!fs.existsSync(CHROMIUM)) throw new Error(`No Chromium at ${CHROMIUM}: run npm test (it installs Debian's chromium), or set CHROMIUM_PATH`);
  // Loaded here, not at the top: every test file imports this package, few launch a browser, and
  // playwright-core takes ~0.8 s of CPU to load (seconds on a busy machine), once per test file.
  // A require, not import(): the tests run as CommonJS in Jest's VM, which refuses import().
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { chromium } = require('playwright-core') as typeof import('playwright-core');
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

/**
 * How long one step of a browser test may take (a navigation, a wait for an element): a busy
 * 2-core machine can need tens of seconds for a page's first render (the API docs' first paint
 * once took over 30 s while two other test packages ran).
 */
export const BROWSER_STEP_MS = 60_000;

/** Jest's limit for one browser test, several steps' worth: set it with jest.setTimeout in the file. */
export const BROWSER_TEST_MS = 180_000;

/** A page in a fresh context (its own cookies and credentials) whose steps wait up to BROWSER_STEP_MS; close it with page.context().close(). */
export async function openPage(browser: Browser, options?: BrowserContextOptions): Promise<Page> {
  const context = await browser.newContext(options);
  context.setDefaultTimeout(BROWSER_STEP_MS);
  return context.newPage();
}
