import { crc32c } from '@aws-crypto/crc32c';
import { GsmSimulator } from '../src';

// The REST shapes the official client relies on, checked with plain fetch.
let sim: GsmSimulator;
let base: string;
beforeEach(async () => {
  sim = new GsmSimulator(() => Date.UTC(2026, 0, 1));
  base = `${await sim.listen()}/v1/projects/acme`;
});
afterEach(() => sim.close());

const post = (url: string, body: unknown) => fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
const data = (value: string) => Buffer.from(value).toString('base64');

it('creates a secret, adds versions and gives the latest or a numbered one with its CRC32C', async () => {
  const created = await post(`${base}/secrets?secretId=fred`, { replication: { automatic: {} } });
  expect(created.status).toBe(200);
  expect(await created.json()).toEqual({ name: 'projects/acme/secrets/fred', createTime: '2026-01-01T00:00:00.000Z', replication: { automatic: {} } });
  const added = await post(`${base}/secrets/fred:addVersion`, { payload: { data: data('one'), dataCrc32c: String(crc32c(Buffer.from('one'))) } });
  expect(await added.json()).toMatchObject({ name: 'projects/acme/secrets/fred/versions/1', state: 'ENABLED' });
  await post(`${base}/secrets/fred:addVersion`, { payload: { data: data('two') } });
  const latest = await fetch(`${base}/secrets/fred/versions/latest:access`);
  expect(await latest.json()).toEqual({
    name: 'projects/acme/secrets/fred/versions/2',
    payload: { data: data('two'), dataCrc32c: String(crc32c(Buffer.from('two'))) },
  });
  const first = await fetch(`${base}/secrets/fred/versions/1:access`);
  expect(((await first.json()) as { payload: { data: string } }).payload.data).toBe(data('one'));
});

it("answers errors in Google's shape", async () => {
  const missing = await fetch(`${base}/secrets/nope/versions/latest:access`);
  expect(missing.status).toBe(404);
  expect(await missing.json()).toEqual({
    error: { code: 404, message: 'Secret Version [projects/acme/secrets/nope/versions/latest] not found.', status: 'NOT_FOUND' },
  });
  sim.put('acme', 'fred', 'x');
  const again = await post(`${base}/secrets?secretId=fred`, {});
  expect(again.status).toBe(409);
  expect(((await again.json()) as { error: { status: string } }).error.status).toBe('ALREADY_EXISTS');
  const corrupted = await post(`${base}/secrets/fred:addVersion`, { payload: { data: data('y'), dataCrc32c: '1' } });
  expect(corrupted.status).toBe(400);
  expect(((await corrupted.json()) as { error: { status: string } }).error.status).toBe('INVALID_ARGUMENT');
  const noId = await post(`${base}/secrets`, {});
  expect(noId.status).toBe(400);
  expect(sim.requests.map((r) => r.status)).toEqual([404, 409, 400, 400]);
  expect(sim.requests.every((r) => !r.authorized)).toBe(true);
});

it('answers every request with the failWith error until it is cleared', async () => {
  sim.put('acme', 'fred', 'x');
  sim.failWith = { status: 503, message: 'The service is currently unavailable.' };
  const access = await fetch(`${base}/secrets/fred/versions/latest:access`);
  expect(access.status).toBe(503);
  expect(await access.json()).toEqual({ error: { code: 503, message: 'The service is currently unavailable.', status: 'UNAVAILABLE' } });
  sim.failWith = { status: 403, message: 'Permission denied.' };
  const add = await post(`${base}/secrets/fred:addVersion`, { payload: { data: data('y') } });
  expect(await add.json()).toEqual({ error: { code: 403, message: 'Permission denied.', status: 'PERMISSION_DENIED' } });
  sim.failWith = undefined;
  expect((await fetch(`${base}/secrets/fred/versions/latest:access`)).status).toBe(200);
  // The refused version was not stored.
  expect(((await (await fetch(`${base}/secrets/fred/versions/latest:access`)).json()) as { name: string }).name).toBe('projects/acme/secrets/fred/versions/1');
  expect(sim.requests.map((r) => r.status)).toEqual([503, 403, 200, 200]);
});
