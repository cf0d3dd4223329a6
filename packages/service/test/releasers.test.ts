import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { TEST_REDIS_URL } from '@conveyor/testkit';
import { closed } from './closed';
import IORedis from 'ioredis';
import { Releasers } from '../src/releasers';

// The releasers of a service on real resources: last-acquired-first, and one failing release
// does not keep the others from running.

async function listeningServer(): Promise<http.Server> {
  const server = http.createServer((_req, res) => res.end('ok'));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return server;
}

const closeServer = (server: http.Server) => new Promise<void>((resolve) => server.close(() => resolve()));

it('releases last-acquired-first: the server that uses the connection closes before it', async () => {
  const releasers = new Releasers();
  const order: string[] = [];
  const redis = new IORedis(TEST_REDIS_URL);
  releasers.add('redis', () => {
    order.push('redis');
    redis.disconnect();
  });
  const server = await listeningServer();
  releasers.add('server', async () => {
    // The connection is still up while the server that uses it closes.
    expect(await redis.ping()).toBe('PONG');
    await closeServer(server);
    order.push('server');
  });
  await releasers.release();
  expect(order).toEqual(['server', 'redis']);
  expect(server.listening).toBe(false);
  await closed(redis);
});

it('a release that throws does not stop the others; the first error is thrown once all ran', async () => {
  const releasers = new Releasers();
  const server = await listeningServer();
  const redis = new IORedis(TEST_REDIS_URL);
  releasers.add('redis', () => redis.disconnect());
  releasers.add('server', () => closeServer(server));
  releasers.add('acquired earlier', () => {
    throw new Error('acquired earlier');
  });
  releasers.add('acquired later', async () => {
    throw new Error('acquired later');
  });
  // The later one is released (and fails) first.
  await expect(releasers.release()).rejects.toThrow('acquired later');
  expect(server.listening).toBe(false);
  await closed(redis);
});

it('releases each resource once: a second release() has nothing left', async () => {
  const releasers = new Releasers();
  const server = await listeningServer();
  const port = (server.address() as AddressInfo).port;
  let closes = 0;
  releasers.add('server', async () => {
    closes += 1;
    await closeServer(server);
  });
  await releasers.release();
  await releasers.release();
  expect(closes).toBe(1);
  await expect(fetch(`http://127.0.0.1:${port}/`)).rejects.toThrow();
});
