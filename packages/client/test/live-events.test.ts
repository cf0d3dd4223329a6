import type { TaskStreamEvent } from '../src';
import { type ClientStack, startStack } from './support/stack';
import { TcpProxy } from './support/tcp-proxy';

// subscribe() against the real API, through a loopback TCP proxy that the test uses to break
// the live connection. The worker starts only once the first event has arrived, so the
// first cut always falls before the task runs.

let s: ClientStack;
let proxy: TcpProxy;
beforeAll(async () => {
  s = await startStack({ worker: false });
  proxy = await TcpProxy.start(s.apiPort);
}, 300_000);
afterAll(async () => {
  await proxy?.close();
  await s?.stop();
}, 30_000);

const HOUR = 3_600_000;

it('resumes after lastEventId: a new subscription yields only what came after that event', async () => {
  const conveyor = await s.tenant();
  const { id } = await conveyor.tasks.submit('ping', {}, { delayMs: HOUR });
  const first = conveyor.tasks.subscribe(id)[Symbol.asyncIterator]();
  const pending = (await first.next()).value;
  expect(pending).toMatchObject({ type: 'state', task_id: id, status: 'PENDING', eventId: expect.any(String) });
  await first.return!(undefined);

  // The task is still PENDING: resuming from that state waits for the next one, the end.
  const resumed = conveyor.tasks.subscribe(id, { lastEventId: pending.eventId! })[Symbol.asyncIterator]();
  const next = resumed.next();
  await conveyor.tasks.cancel(id);
  expect((await next).value).toMatchObject({ type: 'end', status: 'REVOKED', result: null });
  expect((await resumed.next()).done).toBe(true);

  // A subscription to a task that has ended yields its end alone.
  const after = [];
  for await (const event of conveyor.tasks.subscribe(id)) after.push(event);
  expect(after).toEqual([expect.objectContaining({ type: 'end', status: 'REVOKED' })]);
});

it('follows a task across connections cut mid-stream, without losing the end or repeating a state', async () => {
  const key = await s.tenantKey();
  const { id } = await s.client(key).tasks.submit('test_task', { message: 'through cuts', steps: 8, step_ms: 300 });
  const viaProxy = s.client(key, { baseUrl: proxy.url });

  const events: TaskStreamEvent<'test_task'>[] = [];
  let cuts = 0;
  for await (const event of viaProxy.tasks.subscribe<'test_task'>(id)) {
    events.push(event);
    if (event.type === 'end') continue;
    // Each state is followed by a cut: the client must reconnect and resume after it.
    proxy.cutAll();
    cuts += 1;
    if (events.length === 1) await s.startWorker();
  }

  expect(events[0]).toMatchObject({ type: 'state', status: 'PENDING' });
  expect(events.at(-1)).toMatchObject({ type: 'end', status: 'SUCCESS', progress: 100, result: { echo: 'through cuts' }, error: null });
  expect(events.filter((e) => e.type === 'end')).toHaveLength(1);
  const states = events.map((e) => `${e.status} ${e.attempts} ${e.progress} ${e.message}`);
  expect(new Set(states).size).toBe(states.length);
  expect(new Set(events.map((e) => e.eventId)).size).toBe(events.length);
  const progress = events.map((e) => e.progress);
  expect(progress).toEqual([...progress].sort((a, b) => a - b));

  // One connection to begin with and one after each cut, each resuming from the last event it saw.
  const connections = proxy.requests(`GET /api/v1/tasks/${id}/events `);
  expect(cuts).toBeGreaterThan(0);
  expect(connections.length).toBeGreaterThan(cuts);
  expect(connections[0]!.request).not.toMatch(/last-event-id/i);
  // An id names the last state seen and, after a dot, the last log line (test_task logs each
  // step; the client skips `log` events but resumes after them too): each resume names a state it yielded.
  const statePart = (eventId: string | null | undefined) => eventId?.split('.').slice(0, 4).join('.');
  const resumedFrom = connections.slice(1).map((c) => /last-event-id: (\S+)/i.exec(c.request)?.[1]);
  expect(resumedFrom.every((eventId) => events.some((e) => statePart(e.eventId) === statePart(eventId)))).toBe(true);
}, 120_000);

it("with logs: true yields the handler's log lines too, each once and in order, across cut connections", async () => {
  // Runs after the test above, whose worker is still running.
  const key = await s.tenantKey();
  const { id } = await s.client(key).tasks.submit('test_task', { message: 'logged', steps: 4, step_ms: 200 });
  const viaProxy = s.client(key, { baseUrl: proxy.url });
  const lines: string[] = [];
  let end: unknown;
  for await (const event of viaProxy.tasks.subscribe<'test_task'>(id, { logs: true })) {
    if (event.type === 'log') {
      lines.push(event.message);
      proxy.cutAll(); // resume after each line: none may come twice
    } else if (event.type === 'end') end = event;
  }
  expect(lines).toEqual(['step 1 of 4', 'step 2 of 4', 'step 3 of 4', 'step 4 of 4']);
  expect(end).toMatchObject({ status: 'SUCCESS' });
  // Without the option, the same stream yields states only.
  const plain = [];
  for await (const event of viaProxy.tasks.subscribe(id)) plain.push(event.type);
  expect(plain).toEqual(['end']);
}, 120_000);
