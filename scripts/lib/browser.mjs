import fs from 'node:fs';
import { capture, run } from './run.mjs';
import { step } from './say.mjs';

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
  const asRoot = process.getuid?.() === 0;
  const sudo = !asRoot && capture('sudo', ['-n', 'true']) !== undefined;
  const install = 'apt-get install -y --no-install-recommends chromium';
  if (!capture('sh', ['-c', 'command -v apt-get']) || (!asRoot && !sudo)) {
    throw new Error(`The browser tests need Chromium at ${wanted}. Install it (Debian: sudo ${install}) or set CHROMIUM_PATH`);
  }
  step(`installing Chromium for the browser tests (${install})`);
  const apt = (args) =>
    asRoot ? run('apt-get', args, { env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } }) : run('sudo', ['-n', 'apt-get', ...args]);
  try {
    apt(['install', '-y', '--no-install-recommends', 'chromium']);
  } catch {
    // A machine whose package lists are stale or empty: refresh them once and try again.
    apt(['update']);
    apt(['install', '-y', '--no-install-recommends', 'chromium']);
  }
  if (!fs.existsSync(wanted)) throw new Error(`apt-get installed chromium, but ${wanted} is still missing; set CHROMIUM_PATH`);
  return wanted;
}
