import { aptInstall } from './apt.mjs';
import { capture } from './run.mjs';

/** The oldest redis-cli whose `--cluster create` the Redis Cluster tests use. */
const CLUSTER_CLI_MAJOR = 5;

/** The major version `redis-cli --version` prints ("redis-cli 7.0.15"), 0 when it cannot run. */
const cliMajor = () => Number(/(\d+)\.\d+/.exec(capture('redis-cli', ['--version']) ?? '')?.[1] ?? 0);

/**
 * The fault tests and the Redis Cluster run (tests/redis-cluster) start redis-servers of their
 * own and build a cluster with `redis-cli --cluster create`: Debian's redis-server (which brings
 * redis-tools) is installed with apt-get when either binary is missing or too old, as root or
 * through sudo without a password. Throws with the command to run when it cannot install.
 */
export function ensureRedisTools() {
  const missing = () => !capture('sh', ['-c', 'command -v redis-server && command -v redis-cli']) || cliMajor() < CLUSTER_CLI_MAJOR;
  if (!missing()) return;
  const install = 'apt-get install -y --no-install-recommends redis-server redis-tools';
  aptInstall(
    [['redis-server', 'redis-tools']],
    'Redis for the fault and cluster tests',
    `The Redis tests need redis-server and redis-cli ${CLUSTER_CLI_MAJOR} or newer. Install them (Debian: sudo ${install})`,
  );
  if (missing()) throw new Error(`apt-get installed redis-server, but redis-cli ${CLUSTER_CLI_MAJOR} or newer is still not on PATH`);
}
