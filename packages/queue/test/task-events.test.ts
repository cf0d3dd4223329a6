import { TEST_REDIS_URL, uniquePrefix, waitFor } from '@conveyor/testkit';
import type { Redis } from 'ioredis';
import { TaskEventPublisher, createWorkerRedis, taskEventsChannel } from '../src';

let publisherRedis: Redis;
let subscriber: Redis;
const prefix = uniquePrefix('events');

beforeAll(() => {
  publisherRedis = createWorkerRedis(TEST_REDIS_URL);
  subscriber = createWorkerRedis(TEST_REDIS_URL);
});
afterAll(() => {
  publisherRedis.disconnect();
  subscriber.disconnect();
});

describe('TaskEventPublisher', () => {
  it('delivers every event of one turn of the event loop, each on its task channel, in order', async () => {
    const received: { channel: string; status: string; progress: number }[] = [];
    subscriber.on('message', (channel: string, message: string) => {
      const event = JSON.parse(message) as { status: string; progress: number };
      received.push({ channel, status: event.status, progress: event.progress });
    });
    await subscriber.subscribe(taskEventsChannel(prefix, 'a'), taskEventsChannel(prefix, 'b'));
    const events = new TaskEventPublisher(publisherRedis, prefix);
    events.publish({ task_id: 'a', status: 'STARTED', progress: 0, message: null, attempts: 1 });
    events.publish({ task_id: 'b', status: 'STARTED', progress: 0, message: null, attempts: 1 });
    events.publish({ task_id: 'a', status: 'PROGRESS', progress: 50.4, message: 'half', attempts: 1 });
    events.publish({ task_id: 'a', status: 'SUCCESS', progress: 100, message: null, attempts: 1 });
    await waitFor(async () => (received.length === 4 ? true : undefined), 'four events');
    expect(received.filter((e) => e.channel.endsWith(':a')).map((e) => e.status)).toEqual(['STARTED', 'PROGRESS', 'SUCCESS']);
    expect(received.filter((e) => e.channel.endsWith(':b')).map((e) => e.status)).toEqual(['STARTED']);
    // A lone event later still goes out on its own.
    events.publish({ task_id: 'b', status: 'SUCCESS', progress: 100, message: null, attempts: 1 });
    await waitFor(async () => (received.length === 5 ? true : undefined), 'the fifth event');
  });
});
