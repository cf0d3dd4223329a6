import { randomUUID } from 'node:crypto';
import { TEST_REDIS_URL, deleteKeysWithPrefix, uniquePrefix, waitFor } from '@conveyor/testkit';
import IORedis from 'ioredis';
import { TaskEventPublisher, WatchRegistry, WatchedTasks, taskEventsChannel, watchedKey } from '../src';

// Workers publish live events only for tasks some API process streams, on a real Redis.

const prefix = uniquePrefix('watch');
const connections: IORedis[] = [];
const connect = () => {
  const c = new IORedis(TEST_REDIS_URL, { maxRetriesPerRequest: null });
  connections.push(c);
  return c;
};
const closers: (() => unknown)[] = [];
afterAll(async () => {
  for (const close of closers) await close();
  for (const c of connections) c.disconnect();
  await deleteKeysWithPrefix(prefix);
});

async function startWatched(refreshMs?: number) {
  const watched = new WatchedTasks(connect(), prefix, refreshMs);
  await watched.start(connect());
  closers.push(() => watched.close());
  return watched;
}

function startRegistry(ttlMs?: number) {
  const registry = new WatchRegistry(connect(), prefix, ttlMs);
  closers.push(() => registry.close());
  return registry;
}

it('a worker learns of a watch as it is made and forgets it when the last watcher leaves', async () => {
  const watched = await startWatched();
  const [one, two] = [startRegistry(), startRegistry()];
  const task = randomUUID();
  expect(watched.has(task)).toBe(false);
  await one.add(task);
  await two.add(task);
  await waitFor(async () => (watched.has(task) ? true : undefined), 'the watch to arrive');
  await one.remove(task);
  await new Promise((r) => setTimeout(r, 50));
  expect(watched.has(task)).toBe(true); // the other API process still streams it
  await two.remove(task);
  await waitFor(async () => (watched.has(task) ? undefined : true), 'the watch to end');
});

it('a worker that starts later loads the watches already made, but not expired ones', async () => {
  const task = randomUUID();
  await startRegistry().add(task);
  const stale = randomUUID();
  await connect().zadd(watchedKey(prefix), Date.now() - 1000, `${stale}|an-api-that-died`);
  const watched = await startWatched();
  expect(watched.has(task)).toBe(true);
  expect(watched.has(stale)).toBe(false);
});

it('the watches of an API process that died expire, and workers drop them at their next refresh', async () => {
  const task = randomUUID();
  // What a registry leaves behind when its process dies: an entry nobody renews.
  await connect().zadd(watchedKey(prefix), Date.now() + 400, `${task}|an-api-that-died`);
  const watched = await startWatched(200);
  expect(watched.has(task)).toBe(true);
  await waitFor(async () => (watched.has(task) ? undefined : true), 'the expired watch to be dropped', 5000);
});

it('a live registry keeps its watches past their first expiry by renewing them', async () => {
  const registry = startRegistry(1200); // renews every second
  const task = randomUUID();
  await registry.add(task);
  await new Promise((r) => setTimeout(r, 1800));
  expect(await connect().zscore(watchedKey(prefix), `${task}|${registry.id}`)).not.toBeNull();
  const watched = await startWatched();
  expect(watched.has(task)).toBe(true);
});

it('the publisher sends events of watched tasks only', async () => {
  const watched = await startWatched();
  const registry = startRegistry();
  const [seen, unseen] = [randomUUID(), randomUUID()];
  await registry.add(seen);
  await waitFor(async () => (watched.has(seen) ? true : undefined), 'the watch to arrive');
  const listener = connect();
  const received: string[] = [];
  listener.on('message', (_channel: string, message: string) => received.push(JSON.parse(message).task_id));
  await listener.subscribe(taskEventsChannel(prefix, seen), taskEventsChannel(prefix, unseen));
  const publisher = new TaskEventPublisher(connect(), prefix, watched);
  for (const id of [unseen, seen, unseen]) publisher.publish({ task_id: id, status: 'STARTED', progress: 0, message: null, attempts: 1 });
  await waitFor(async () => (received.length > 0 ? true : undefined), 'an event');
  await new Promise((r) => setTimeout(r, 100));
  expect(received).toEqual([seen]);
});
