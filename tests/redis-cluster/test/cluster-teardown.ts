import type { PrivateRedisCluster } from '@conveyor/testkit';

export default async function teardown(): Promise<void> {
  await (globalThis as { redisCluster?: PrivateRedisCluster }).redisCluster?.destroy();
}
