import { capture, run } from './run.mjs';
import { step } from './say.mjs';

/**
 * Installs the first of `packages` (Debian names, best first; an array is a set installed
 * together) that apt-get can install, as
 * root or through sudo without a password; when none installs, refreshes the package lists
 * once (a machine whose lists are stale or empty) and tries again. Throws `cannot` (what to
 * do by hand) when apt-get is missing, not allowed, or installs none of them.
 */
export function aptInstall(packages, what, cannot) {
  const asRoot = process.getuid?.() === 0;
  const sudo = !asRoot && capture('sudo', ['-n', 'true']) !== undefined;
  if (!capture('sh', ['-c', 'command -v apt-get']) || (!asRoot && !sudo)) throw new Error(cannot);
  const apt = (args) => asAdmin('apt-get', args);
  const installOne = () =>
    packages.some((choice) => {
      const names = [choice].flat();
      step(`installing ${what} (apt-get install -y --no-install-recommends ${names.join(' ')})`);
      try {
        apt(['install', '-y', '--no-install-recommends', ...names]);
        return true;
      } catch {
        return false;
      }
    });
  if (installOne()) return;
  apt(['update']);
  if (!installOne()) throw new Error(cannot);
}

/** Runs a command as root: directly when this process is root, else through sudo without a password. */
export function asAdmin(cmd, args) {
  if (process.getuid?.() === 0) run(cmd, args, { env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
  else run('sudo', ['-n', cmd, ...args]);
}
