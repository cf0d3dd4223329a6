import { freePort } from '@conveyor/testkit';
import type { AppStack } from '@conveyor/testkit';
import { Client, createStack } from './support';

// Fault 8: 500 concurrent submissions with one idempotency key make exactly one task. They go
// to two API processes, as behind a load balancer: within one process group commit already
// keeps two same-key rows out of one INSERT, so it is the unique index and ON CONFLICT across
// processes (and connections) that this proves.

let stack: AppStack;
let clients: Client[];
beforeAll(async () => {
  stack = await createStack();
  const ports = [await freePort(), await freePort()];
  for (const port of ports) await stack.start('api', port, { DATABASE_POOL_MAX: '20' });
  const { api_key } = await stack.createTenant('idem');
  clients = ports.map((port) => new Client(`http://127.0.0.1:${port}`, api_key));
}, 300_000);
afterAll(() => stack.stop(), 30_000);

/**
 * Submits as a client with an idempotency key does: a 503 (on a busy machine some of 250
 * concurrent requests wait past the API's 3 s for a pooled connection) changed nothing and
 * says when to retry, so the same submission is sent again then. Bounded: ten tries.
 */
async function submitWithRetries(client: Client): Promise<{ status: number; body: Record<string, any> }> {
  for (let attempt = 1; ; attempt += 1) {
    const res = await client.submit('ping', {}, { idempotency_key: 'the-one' });
    if (res.status !== 503 || attempt === 10) return res;
    await new Promise((r) => setTimeout(r, 1000 * Number(res.headers.get('retry-after') ?? 1)));
  }
}

it('500 concurrent submissions with one key, through two API processes, make exactly one task', async () => {
  const responses = await Promise.all(Array.from({ length: 500 }, (_, i) => submitWithRetries(clients[i % 2]!)));
  expect(responses.filter((r) => r.status === 202)).toHaveLength(1);
  expect(responses.filter((r) => r.status === 200)).toHaveLength(499);
  expect(new Set(responses.map((r) => r.body.task_id)).size).toBe(1);
  for (const client of clients) {
    const listed = await client.call('GET', '/tasks?limit=200');
    expect(listed.body.tasks).toHaveLength(1);
  }
}, 180_000);
