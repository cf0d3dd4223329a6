import net from 'node:net';
import { waitFor } from '@conveyor/testkit';
import IORedis, { Cluster } from 'ioredis';
import { type RedisClient, createPipelinedRedis, createProducerRedis, createWorkerRedis, duplicateRedis, isRedisUnavailable } from '../src';

// Each kind of connection keeps its behaviour when REDIS_CLUSTER_NODES makes it a cluster
// client. The seed is a server that hangs up at once: these tests look at the clients, not
// at a cluster (tests/redis-cluster runs them on one).

const opened: RedisClient[] = [];
afterEach(async () => {
  const clients = opened.splice(0);
  for (const client of clients) client.disconnect();
  // A cluster client winds down its start-up (slot refresh) after disconnect(): let it end.
  await waitFor(async () => (clients.every((c) => c.status === 'end') ? true : undefined), 'the clients to end', 10_000);
});
const track = <T extends RedisClient>(client: T): T => {
  client.on('error', () => undefined);
  opened.push(client);
  return client;
};
let seeds: { host: string; port: number }[];
let hangUp: net.Server;
beforeAll(async () => {
  hangUp = net.createServer((socket) => socket.destroy());
  await new Promise<void>((resolve) => hangUp.listen(0, '127.0.0.1', resolve));
  seeds = [{ host: '127.0.0.1', port: (hangUp.address() as net.AddressInfo).port }];
});
afterAll(async () => {
  await new Promise<void>((resolve) => hangUp.close(() => resolve()));
  // ioredis destroys the socket of a node connection still connecting 2 s after disconnect():
  // waited out here so Jest finds nothing left running (not part of any check).
  await new Promise((resolve) => setTimeout(resolve, 2100));
});

it('returns a plain client without cluster nodes', () => {
  expect(track(createProducerRedis('redis://127.0.0.1:1', undefined))).toBeInstanceOf(IORedis);
  expect(track(createWorkerRedis('redis://127.0.0.1:1', []))).toBeInstanceOf(IORedis);
});

it('returns cluster clients with each kind’s options, and the credentials and TLS of REDIS_URL on every node', () => {
  const producer = track(createProducerRedis('rediss://app:s%3Acret@ignored.example:6380/3', seeds)) as Cluster;
  expect(producer).toBeInstanceOf(Cluster);
  expect(producer.options).toMatchObject({ enableOfflineQueue: false });
  expect(producer.options.redisOptions).toMatchObject({
    username: 'app',
    password: 's:cret',
    tls: {},
    maxRetriesPerRequest: 1,
    connectionName: 'conveyor-producer',
  });
  expect(producer.options.redisOptions).not.toHaveProperty('host');

  const worker = track(createWorkerRedis('redis://127.0.0.1:6379', seeds)) as Cluster;
  // BullMQ reads a cluster's redisOptions and insists on null here for its blocking connection.
  expect(worker.options.redisOptions).toMatchObject({ maxRetriesPerRequest: null, connectionName: 'conveyor-worker' });
  expect(worker.options.redisOptions).not.toHaveProperty('tls');
  expect(worker.options.enableOfflineQueue).toBe(true);

  const counters = track(createPipelinedRedis('redis://127.0.0.1:6379', seeds)) as Cluster;
  expect(counters.options).toMatchObject({ enableAutoPipelining: true, enableOfflineQueue: false });

  const subscriber = track(duplicateRedis(worker, 'worker-subscriber')) as Cluster;
  expect(subscriber).toBeInstanceOf(Cluster);
  expect(subscriber.options.redisOptions).toMatchObject({ maxRetriesPerRequest: null, connectionName: 'worker-subscriber' });
});

it('fails a producer command at once when the cluster cannot be reached, as unavailable (a 503, not a 500)', async () => {
  const producer = track(createProducerRedis('redis://127.0.0.1:6379', seeds));
  const error = await producer.get('anything').catch((e: unknown) => e);
  expect(error).toBeInstanceOf(Error);
  expect(isRedisUnavailable(error)).toBe(true);
});
