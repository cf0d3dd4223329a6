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
 * says when to retry, so the same submission is sent again then. So is one whose connection
 * broke without an answer (on a busy machine, a kept-alive connection the server closed as
 * it was reused: "other side closed"), the case idempotency keys are for: it may have made
 * the task, and the retry must not make another. Bounded: ten tries.
 */
let lostAnswers = 0;
async function submitWithRetries(client: Client): Promise<{ status: number; body: Record<string, any> }> {
  for (let attempt = 1; ; attempt += 1) {
    const res = await client.submit('ping', {}, { idempotency_key: 'the-one' }).catch((error: unknown) => {
      if (attempt === 10 || !(error instanceof TypeError)) throw error; // fetch's "fetch failed": no answer came
      lostAnswers += 1;
      return undefined;
    });
    if (res && (res.status !== 503 || attempt === 10)) return res;
    await new Promise((r) => setTimeout(r, 1000 * Number(res?.headers.get('retry-after') ?? 1)));
  }
}

it('500 concurrent submissions with one key, through two API processes, make exactly one task', async () => {
  const responses = await Promise.all(Array.from({ length: 500 }, (_, i) => submitWithRetries(clients[i % 2]!)));
  const created = responses.filter((r) => r.status === 202).length;
  // A lost answer may have been the 202: its retry was then answered 200, with the same task.
  expect(lostAnswers === 0 ? created === 1 : created <= 1).toBe(true);
  expect(responses.filter((r) => r.status === 200)).toHaveLength(500 - created);
  expect(new Set(responses.map((r) => r.body.task_id)).size).toBe(1);
  for (const client of clients) {
    const listed = await client.call('GET', '/tasks?limit=200');
    expect(listed.body.tasks).toHaveLength(1);
  }
}, 180_000);
