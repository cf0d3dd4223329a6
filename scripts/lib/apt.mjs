import { capture, run } from './run.mjs';
import { step } from './say.mjs';

/**
 * Installs the first of `packages` (Debian names, best first) that apt-get can install, as
 * root or through sudo without a password; when none installs, refreshes the package lists
 * once (a machine whose lists are stale or empty) and tries again. Throws `cannot` (what to
 * do by hand) when apt-get is missing, not allowed, or installs none of them.
 */
export function aptInstall(packages, what, cannot) {
  const asRoot = process.getuid?.() === 0;
  const sudo = !asRoot && capture('sudo', ['-n', 'true']) !== undefined;
  if (!capture('sh', ['-c', 'command -v apt-get']) || (!asRoot && !sudo)) throw new Error(cannot);
  const apt = (args) =>
    asRoot ? run('apt-get', args, { env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } }) : run('sudo', ['-n', 'apt-get', ...args]);
  const installOne = () =>
    packages.some((name) => {
      step(`installing ${what} (apt-get install -y --no-install-recommends ${name})`);
      try {
        apt(['install', '-y', '--no-install-recommends', name]);
        return true;
      } catch {
        return false;
      }
    });
  if (installOne()) return;
  apt(['update']);
  if (!installOne()) throw new Error(cannot);
}
