import fs from 'node:fs';
import { aptInstall } from './apt.mjs';

/** Where the browser tests find Chromium (Debian's package), unless CHROMIUM_PATH says otherwise. */
const DEFAULT_CHROMIUM = '/usr/bin/chromium';

/**
 * The Chromium the browser tests drive through playwright-core: CHROMIUM_PATH, or Debian's
 * chromium, installed with apt-get when it is missing (as root, or through sudo without a
 * password). Playwright's own browser download is never used: it needs hosts this kind of
 * machine cannot reach. Returns the path; throws with the command to run when it cannot install.
 */
export function ensureChromium(env) {
  const wanted = env.CHROMIUM_PATH ?? DEFAULT_CHROMIUM;
  if (fs.existsSync(wanted)) return wanted;
  if (env.CHROMIUM_PATH) throw new Error(`CHROMIUM_PATH is ${wanted}, which does not exist`);
  aptInstall(
    ['chromium'],
    'Chromium for the browser tests',
    `The browser tests need Chromium at ${wanted}. Install it (Debian: sudo apt-get install -y --no-install-recommends chromium) or set CHROMIUM_PATH`,
  );
  if (!fs.existsSync(wanted)) throw new Error(`apt-get installed chromium, but ${wanted} is still missing; set CHROMIUM_PATH`);
  return wanted;
}
