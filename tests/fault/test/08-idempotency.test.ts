import { freePort } from '@conveyor/testkit';
import type { AppStack } from '@conveyor/testkit';
import { Client, createStack } from './support';

// Fault 8: 500 concurrent submissions with one idempotency key make exactly one task.

let stack: AppStack;
let client: Client;
beforeAll(async () => {
  stack = await createStack();
  const apiPort = await freePort();
  await stack.start('api', apiPort, { DATABASE_POOL_MAX: '20' });
  client = new Client(`http://127.0.0.1:${apiPort}`, (await stack.createTenant('idem')).api_key);
}, 60_000);
afterAll(() => stack.stop(), 30_000);

it('500 concurrent submissions with one key make exactly one task', async () => {
  const responses = await Promise.all(Array.from({ length: 500 }, () => client.submit('ping', {}, { idempotency_key: 'the-one' })));
  expect(responses.filter((r) => r.status === 202)).toHaveLength(1);
  expect(responses.filter((r) => r.status === 200)).toHaveLength(499);
  expect(new Set(responses.map((r) => r.body.task_id)).size).toBe(1);
  const listed = await client.call('GET', '/tasks?limit=200');
  expect(listed.body.tasks).toHaveLength(1);
}, 60_000);
