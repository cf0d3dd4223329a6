import { type PrivateServer, startPrivateRedis } from '@conveyor/testkit';
import IORedis from 'ioredis';
import { checkEvictionPolicy } from '../src/eviction-policy';

// What a worker reads of Redis' eviction policy before it starts, on real servers.

const servers: PrivateServer[] = [];
const connections: IORedis[] = [];
afterAll(async () => {
  for (const c of connections) c.disconnect();
  for (const s of servers) await s.destroy();
}, 30_000);

async function check(args: string[]) {
  const server = await startPrivateRedis(args);
  servers.push(server);
  // No ready check: it sends INFO, which one of these servers refuses.
  const redis = new IORedis(server.url, { maxRetriesPerRequest: 1, enableReadyCheck: false });
  connections.push(redis);
  return checkEvictionPolicy(redis);
}

it('passes noeviction', async () => {
  expect(await check([])).toEqual({ ok: true });
});

it('names an evicting policy, also when CONFIG is forbidden', async () => {
  expect(await check(['--maxmemory-policy', 'volatile-lru', '--rename-command', 'CONFIG', ''])).toEqual({
    ok: false,
    problem: expect.stringContaining('"volatile-lru"'),
  });
});

it('says it could not tell when the server refuses INFO too', async () => {
  const result = await check(['--rename-command', 'INFO', '']);
  expect(result.ok).toBe('unknown');
  expect((result as { problem: string }).problem).toMatch(/could not read .*make sure it is "noeviction"/);
});
