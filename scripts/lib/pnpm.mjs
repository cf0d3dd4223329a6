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

/** Installs dependencies from the lock file and builds every package and app. */
export function installAndBuild(root, pnpm) {
  step('installing dependencies (pnpm install --frozen-lockfile)');
  run(pnpm, ['install', '--frozen-lockfile', '--reporter=append-only'], { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] });
  step('building (turbo run build)');
  run(pnpm, ['exec', 'turbo', 'run', 'build', '--output-logs=errors-only'], { cwd: root });
}
