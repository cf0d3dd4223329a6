import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { PassThrough } from 'node:stream';
import { baseEnvSchema, parseEnv } from '@conveyor/config';
import { createLogger } from '@conveyor/observability';
import { TEST_ADMIN_DATABASE_URL, TEST_REDIS_URL, freePort, waitFor } from '@conveyor/testkit';
import type { RedisClient } from '@conveyor/queue';
import { sql } from 'kysely';
import { type ServiceContext, startService } from '../src/start-service';
import { closed } from './closed';

// startService on the real Redis and Postgres: the app's parts go first, the shared ones after
// (the health server answering "shutting down" meanwhile), and a failed start releases what
// it had acquired.

const env = parseEnv(baseEnvSchema, { DATABASE_URL: TEST_ADMIN_DATABASE_URL, REDIS_URL: TEST_REDIS_URL, NODE_ENV: 'test' });
const quiet = () => createLogger({ service: 'service-test', stream: new PassThrough() });
type Context = ServiceContext<typeof env>;

it('on stop, the app releases first while /readyz says shutting_down; then the health server, Postgres and Redis go', async () => {
  const port = await freePort();
  let context!: Context;
  const seenWhileDraining: unknown[] = [];
  const service = await startService(env, quiet(), {
    service: 'service-test',
    redis: 'producer',
    start: async (c) => {
      context = c;
      c.releasers.add('work', async () => {
        const res = await fetch(`http://127.0.0.1:${port}/readyz`);
        seenWhileDraining.push(res.status, await res.json(), await c.redis.ping(), (await sql<{ one: number }>`select 1 as one`.execute(c.db)).rows[0]);
      });
      await c.serveHealth(port);
    },
  });
  // The producer connection fails fast until it has connected: ready within moments.
  const ready = await waitFor(async () => {
    const report = (await (await fetch(`http://127.0.0.1:${port}/readyz`)).json()) as { status: string };
    return report.status === 'ready' ? report : undefined;
  }, '/readyz');
  expect(ready).toMatchObject({ checks: { postgres: { ok: true }, redis: { ok: true } } });

  await service.stop();
  expect(seenWhileDraining).toEqual([503, { status: 'shutting_down' }, 'PONG', { one: 1 }]);
  await expect(fetch(`http://127.0.0.1:${port}/healthz`)).rejects.toThrow();
  await closed(context.redis);
  await expect(sql`select 1`.execute(context.db)).rejects.toThrow();
});

it('a failed start releases what was acquired, the shared connections too, and rethrows', async () => {
  let server!: http.Server;
  let redis!: RedisClient;
  let port = 0;
  const failure = startService(env, quiet(), {
    service: 'service-test',
    redis: 'worker',
    start: async (c) => {
      redis = c.redis;
      server = http.createServer((_req, res) => res.end());
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      port = (server.address() as AddressInfo).port;
      c.releasers.add('server', () => new Promise<void>((resolve) => server.close(() => resolve())));
      throw new Error('refusing to start');
    },
  });
  await expect(failure).rejects.toThrow('refusing to start');
  expect(server.listening).toBe(false);
  await expect(fetch(`http://127.0.0.1:${port}/`)).rejects.toThrow();
  await closed(redis);
});

it('a release that fails on stop does not keep the shared connections open', async () => {
  let redis!: RedisClient;
  const service = await startService(env, quiet(), {
    service: 'service-test',
    redis: 'producer',
    start: async (c) => {
      redis = c.redis;
      c.releasers.add('stuck', () => Promise.reject(new Error('could not close')));
    },
  });
  await expect(service.stop()).rejects.toThrow('could not close');
  await closed(redis);
});

it('every service exports conveyor_dependency_up for Postgres and Redis, from the same checks as /readyz', async () => {
  const scrape = async (redisUrl: string) => {
    const port = await freePort();
    const service = await startService({ ...env, REDIS_URL: redisUrl }, quiet(), {
      service: 'service-test',
      redis: 'producer',
      start: (c) => c.serveHealth(port).then(() => undefined),
    });
    try {
      const up = (text: string, dependency: string) =>
        text.match(new RegExp(`^conveyor_dependency_up\\{dependency="${dependency}",service="service-test"\\} (\\d)$`, 'm'))?.[1];
      return await waitFor(async () => {
        const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
        const report = { postgres: up(text, 'postgres'), redis: up(text, 'redis') };
        // The producer connection is up within moments of the start; a dead address never is.
        return report.redis === '1' || redisUrl !== env.REDIS_URL ? report : undefined;
      }, 'a scrape with both dependencies');
    } finally {
      await service.stop();
    }
  };
  expect(await scrape(env.REDIS_URL)).toEqual({ postgres: '1', redis: '1' });
  // Nothing listens on a port just found free: Redis is down for this service, Postgres is not.
  expect(await scrape(`redis://127.0.0.1:${await freePort()}`)).toEqual({ postgres: '1', redis: '0' });
}, 60_000);
