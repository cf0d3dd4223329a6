import { waitFor } from '@conveyor/testkit';
import type { RedisClient } from '@conveyor/queue';

/** Resolves once the connection has been disconnected for good (ioredis ends it asynchronously); fails if it never is. */
export const closed = (redis: RedisClient) => waitFor(async () => (redis.status === 'end' ? true : undefined), 'the redis connection to end', 5000);
