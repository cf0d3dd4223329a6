/** Where tests find the shared servers; CI and the test command set these, defaults fit a dev box. */
export const TEST_ADMIN_DATABASE_URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
export const TEST_REDIS_URL = process.env.TEST_REDIS_URL ?? process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
/**
 * `host:port,…` of a Redis Cluster to test against instead of the one Redis (the cluster run,
 * tests/redis-cluster, sets it): the app stack gets it as REDIS_CLUSTER_NODES, and the test
 * Redis helpers connect to the cluster.
 */
export const TEST_REDIS_CLUSTER_NODES = process.env.TEST_REDIS_CLUSTER_NODES || undefined;

/**
 * TEST_PGBOUNCER=1 (set by tests/pgbouncer's Jest config): every AppStack puts a private
 * PgBouncer in transaction mode between its apps and Postgres. Test databases are still
 * created, and read by the tests, directly.
 */
export const TEST_THROUGH_PGBOUNCER = process.env.TEST_PGBOUNCER === '1';
