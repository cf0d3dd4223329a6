import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { type PrivateRedis, requireCommand, startPrivateRedis } from './private-servers';
import { waitFor } from './processes';

const run = promisify(execFile);

export interface PrivateRedisCluster {
  /** `127.0.0.1:<port>,…` of every master: what REDIS_CLUSTER_NODES / TEST_REDIS_CLUSTER_NODES take. */
  nodes: string;
  ports: number[];
  /** Stops every node and deletes their data. */
  destroy: () => Promise<void>;
}

/**
 * A Redis Cluster of our own on loopback: `masters` redis-servers with cluster mode on, each
 * on a free port with its own folder (and cluster config file), joined by
 * `redis-cli --cluster create` without replicas (the slots split evenly among them). Resolves
 * once every node says `cluster_state:ok` and knows all the others.
 */
export async function startPrivateRedisCluster(masters = 3): Promise<PrivateRedisCluster> {
  requireCommand('redis-cli', 'apt-get install redis-tools');
  const servers: PrivateRedis[] = [];
  const destroy = async () => {
    await Promise.all(servers.map((s) => s.destroy()));
  };
  try {
    for (let i = 0; i < masters; i += 1) {
      // No AOF here (this cluster is not crashed on purpose); the node config file lives in the server's own folder.
      servers.push(
        await startPrivateRedis(['--cluster-enabled', 'yes', '--cluster-config-file', 'nodes.conf', '--cluster-node-timeout', '5000', '--appendonly', 'no']),
      );
    }
    const addresses = servers.map((s) => `127.0.0.1:${s.port}`);
    await run('redis-cli', ['--cluster', 'create', ...addresses, '--cluster-replicas', '0', '--cluster-yes'], { timeout: 60_000 });
    await waitFor(
      async () => {
        const infos = await Promise.all(servers.map(async (s) => (await run('redis-cli', ['-p', String(s.port), 'cluster', 'info'])).stdout));
        return infos.every((info) => /cluster_state:ok/.test(info) && new RegExp(`cluster_known_nodes:${masters}\\b`).test(info)) ? true : undefined;
      },
      'the Redis Cluster to be ok on every node',
      60_000,
      100,
    );
    return { nodes: addresses.join(','), ports: servers.map((s) => s.port), destroy };
  } catch (error) {
    await destroy().catch(() => undefined);
    throw error;
  }
}
