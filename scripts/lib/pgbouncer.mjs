import fs from 'node:fs';
import { aptInstall, asAdmin } from './apt.mjs';
import { capture } from './run.mjs';

/** Where the pooler tests find PgBouncer (Debian's package), unless PGBOUNCER_PATH says otherwise. */
const DEFAULT_PGBOUNCER = '/usr/sbin/pgbouncer';

/**
 * The PgBouncer the pooler tests (tests/pgbouncer) start privately on a free port: PGBOUNCER_PATH,
 * or Debian's pgbouncer, installed with apt-get when it is missing (as root, or through sudo
 * without a password). The tests never use a system PgBouncer; when the package's own service
 * was started by this install (a machine with systemd), it is stopped and disabled again, so
 * nothing is left listening on 6432. Returns the path; throws with the command to run when it
 * cannot install.
 */
export function ensurePgbouncer(env) {
  const wanted = env.PGBOUNCER_PATH ?? DEFAULT_PGBOUNCER;
  if (fs.existsSync(wanted)) return wanted;
  if (env.PGBOUNCER_PATH) throw new Error(`PGBOUNCER_PATH is ${wanted}, which does not exist`);
  aptInstall(
    ['pgbouncer'],
    'PgBouncer for the pooler tests',
    `The pooler tests need PgBouncer at ${wanted}. Install it (Debian: sudo apt-get install -y --no-install-recommends pgbouncer) or set PGBOUNCER_PATH`,
  );
  if (!fs.existsSync(wanted)) throw new Error(`apt-get installed pgbouncer, but ${wanted} is still missing; set PGBOUNCER_PATH`);
  // Where systemd runs, the package enables and starts its service on 127.0.0.1:6432: not ours to keep.
  if (capture('systemctl', ['is-active', 'pgbouncer']) === 'active') asAdmin('systemctl', ['disable', '--now', 'pgbouncer']);
  return wanted;
}
