import { type AppStack, type PrivateServer, freePort, startPrivateRedis } from '@conveyor/testkit';
import { createStack } from './support';

// Start-up checks: a worker refuses a Redis that may evict keys (BullMQ would lose jobs),
// also when NODE_ENV is not set at all, and when Redis forbids CONFIG; only in development
// does it warn and run.

let redis: PrivateServer;
let stack: AppStack;
beforeAll(async () => {
  redis = await startPrivateRedis(['--maxmemory-policy', 'allkeys-lru']);
  stack = await createStack({ redisUrl: redis.url });
}, 60_000);
afterAll(async () => {
  await stack.stop();
  await redis.destroy();
}, 30_000);

it('a worker refuses to start when Redis may evict keys', async () => {
  const error = await stack.start('worker-monitoring', await freePort()).catch((e: Error) => e);
  expect(error).toBeInstanceOf(Error);
  expect((error as Error).message).toMatch(/maxmemory-policy is \\"allkeys-lru\\"|maxmemory-policy is "allkeys-lru"/);
  expect((error as Error).message).toMatch(/Refusing to start/);
}, 180_000);

it('with NODE_ENV unset it refuses too: the check is on unless development is asked for', async () => {
  const error = await stack.start('worker-monitoring', await freePort(), { NODE_ENV: undefined }).catch((e: Error) => e);
  expect(error).toBeInstanceOf(Error);
  expect((error as Error).message).toMatch(/Refusing to start/);
}, 180_000);

it('the check does not need CONFIG: a Redis that forbids it (as managed ones do) is still read', async () => {
  const locked = await startPrivateRedis(['--maxmemory-policy', 'allkeys-lru', '--rename-command', 'CONFIG', '']);
  try {
    const error = await stack.start('worker-monitoring', await freePort(), { REDIS_URL: locked.url }).catch((e: Error) => e);
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toMatch(/allkeys-lru[\s\S]*Refusing to start/);
  } finally {
    await locked.destroy();
  }
}, 180_000);

it('in development it warns and runs', async () => {
  const worker = await stack.start('worker-monitoring', await freePort(), { NODE_ENV: 'development' });
  expect(worker.output()).toMatch(/running anyway because NODE_ENV=development/);
}, 180_000);
