export { TEST_ADMIN_DATABASE_URL, TEST_REDIS_URL } from './env';
export { createTestDatabase, createEmptyDatabase, type TestDatabase, type TemplateSpec } from './test-database';
export { uniquePrefix, deleteKeysWithPrefix } from './test-redis';
export { freePort, startNode, waitFor, type RunningProcess } from './processes';
