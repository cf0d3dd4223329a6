export { TEST_ADMIN_DATABASE_URL, TEST_REDIS_URL, TEST_REDIS_CLUSTER_NODES } from './env';
export { createTestDatabase, createEmptyDatabase, type TestDatabase, type TemplateSpec } from './test-database';
export { uniquePrefix, deleteKeysWithPrefix, createTestRedis, mastersOfTestRedis, parseClusterNodes } from './test-redis';
export { freePort, startNode, waitFor, waitUntilServing, type RunningProcess } from './processes';
export { startPrivateRedis, startPrivatePostgres, type PrivateServer, type PrivateRedis } from './private-servers';
export { startPrivateRedisCluster, type PrivateRedisCluster } from './private-redis-cluster';
export { AppStack, APPS, REPO_ROOT, STARTUP_TIMEOUT_MS, type StackOptions } from './app-stack';
export { startPrivatePgbouncer, type PrivatePgbouncer } from './private-pgbouncer';
export { launchChromium } from './chromium';
