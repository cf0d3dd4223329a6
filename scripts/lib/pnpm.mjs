import fs from 'node:fs';
import path from 'node:path';
import { capture, run } from './run.mjs';
import { step } from './say.mjs';

const WANTED = '12.4.2';

/**
 * Finds pnpm 12.4.2 or installs it: globally with npm when that is allowed, otherwise into
 * .local/tools, so a machine with only Node.js and npm (and no root) still works.
 */
export function ensurePnpm(root) {
  const local = path.join(root, '.local', 'tools', 'node_modules', '.bin', 'pnpm');
  if (capture('pnpm', ['--version']) === WANTED) return 'pnpm';
  if (capture(local, ['--version']) === WANTED) return onPath(local);
  step(`installing pnpm ${WANTED}`);
  try {
    run('npm', ['install', '--global', `pnpm@${WANTED}`, '--no-audit', '--no-fund'], { stdio: ['ignore', 'ignore', 'inherit'] });
    if (capture('pnpm', ['--version']) === WANTED) return 'pnpm';
  } catch {
    // No permission for a global install: fall through to a project-local one.
  }
  fs.mkdirSync(path.dirname(path.dirname(path.dirname(local))), { recursive: true });
  run('npm', ['install', '--prefix', path.join(root, '.local', 'tools'), `pnpm@${WANTED}`, '--no-audit', '--no-fund', '--no-save'], {
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  if (capture(local, ['--version']) !== WANTED) throw new Error(`could not install pnpm ${WANTED} with npm`);
  return onPath(local);
}

/**
 * A project-local pnpm goes first on PATH (of this process and so of every child it starts):
 * turbo finds the package manager by name, and fails ("Unable to find package manager
 * binary") when only the full path is known.
 */
function onPath(pnpm) {
  process.env.PATH = `${path.dirname(pnpm)}${path.delimiter}${process.env.PATH ?? ''}`;
  return pnpm;
}

/**
 * pnpm's metadata cache for the image rehearsal (tests/e2e/test/image-recipe.ts), which
 * installs each image's pruned lockfile offline. pnpm 12 checks every lockfile against its
 * supply-chain policies (minimumReleaseAge) and, offline, reads each package's publish times
 * from the full metadata in its cache only. It fetches that metadata only when it really
 * checks a lockfile, and skips the check for a lockfile its cache records as checked, which
 * `pnpm add` records after resolving from abbreviated metadata: in the shared cache, packages
 * added that way never get full metadata, and the pruned lockfiles (new to pnpm) fail offline
 * with ERR_PNPM_NO_OFFLINE_META. This cache is written only by the full check below, as the
 * image's own online install fills the build's empty cache before its offline one.
 */
const IMAGE_PNPM_CACHE = path.join('.local', 'image-pnpm-cache');

/** Installs dependencies from the lock file, caches the metadata the image rehearsal needs, and builds every package and app. */
export function installAndBuild(root, pnpm) {
  step('installing dependencies (pnpm install --frozen-lockfile)');
  run(pnpm, ['install', '--frozen-lockfile', '--reporter=append-only'], { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] });
  step(`checking the lockfile against pnpm's supply-chain policies into ${IMAGE_PNPM_CACHE} (for the image rehearsal's offline installs)`);
  // --lockfile-only: the check alone (node_modules is left as installed above); a no-op while the lockfile is unchanged.
  run(pnpm, ['install', '--frozen-lockfile', '--lockfile-only', '--reporter=append-only'], {
    cwd: root,
    env: { ...process.env, pnpm_config_cache_dir: path.join(root, IMAGE_PNPM_CACHE) },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  step('building (turbo run build)');
  run(pnpm, ['exec', 'turbo', 'run', 'build', '--output-logs=errors-only'], { cwd: root });
}
