import { randomUUID } from 'node:crypto';
import { ConflictError, ConveyorApiError, NotFoundError, PermissionDeniedError, ValidationError, WaitTimeoutError } from '../src';
import { type ClientStack, recordingFetch, startStack } from './support/stack';
import { TcpProxy } from './support/tcp-proxy';

// The client against the real API and a real monitoring worker, as processes. Each test has a
// tenant of its own. At most one live stream per tenant, so a second one is refused (429) and
// wait() has to fall back to polling.

let s: ClientStack;
beforeAll(async () => {
  s = await startStack({ worker: true, env: { API_EVENT_STREAMS_PER_TENANT: '1' } });
}, 300_000);
afterAll(() => s?.stop(), 30_000);

const HOUR = 3_600_000;

describe('submitting', () => {
  it('submits a task and waits for its typed result', async () => {
    const conveyor = await s.tenant();
    const submitted = await conveyor.tasks.submit('test_task', { message: 'hello', steps: 2, step_ms: 10 });
    expect(submitted).toEqual({ id: expect.any(String), status: 'PENDING', created: true });

    const task = await conveyor.tasks.wait<'test_task'>(submitted.id, { timeoutMs: 60_000 });
    expect(task).toMatchObject({ task_id: submitted.id, task: 'test_task', status: 'SUCCESS', progress: 100, error: null });
    const echo: string = task.result!.echo; // typed by the task name
    expect(echo).toBe('hello');
    expect(task.payload).toEqual({ message: 'hello', steps: 2, step_ms: 10 });

    expect(await conveyor.tasks.result<'test_task'>(submitted.id)).toEqual({
      task_id: submitted.id,
      status: 'SUCCESS',
      result: { echo: 'hello' },
      error: null,
    });
    expect(await conveyor.tasks.get(submitted.id)).toEqual(task);
  });

  it('waits through RETRY to SUCCESS for a task whose first attempt fails', async () => {
    const conveyor = await s.tenant();
    const { id } = await conveyor.tasks.submit('test_task', { message: 'again', steps: 1, step_ms: 0, fail_attempts: 1 });
    const task = await conveyor.tasks.wait<'test_task'>(id, { timeoutMs: 60_000 });
    expect(task).toMatchObject({ status: 'SUCCESS', attempts: 2, result: { echo: 'again' } });
    expect(task.attempt_history!.map((a) => a.outcome)).toEqual(['retry', 'success']);
    expect(task.attempt_history![0]!.error).toMatchObject({ message: 'attempt 1 fails on purpose (fail_attempts: 1)' });
  });

  it('sends tags and metadata, which the task shows', async () => {
    const conveyor = await s.tenant();
    const { id } = await conveyor.tasks.submit('ping', {}, { delayMs: HOUR, tags: ['campaign:spring', 'env=test'], metadata: { order: 42 } });
    expect(await conveyor.tasks.get(id)).toMatchObject({ tags: ['campaign:spring', 'env=test'], metadata: { order: 42 } });
    const plain = await conveyor.tasks.submit('ping', {}, { delayMs: HOUR });
    expect(await conveyor.tasks.get(plain.id)).toMatchObject({ tags: [], metadata: null });
  });

  it('submits a batch with one key: sent again, it returns the same tasks and creates none', async () => {
    const conveyor = await s.tenant();
    const items = [
      { task: 'ping', payload: {} },
      { task: 'test_task', payload: { message: 'b' }, delayMs: HOUR, priority: 5 },
      { task: 'ping', payload: {}, idempotencyKey: `own-${randomUUID()}` },
    ] as const;
    const key = randomUUID();
    const first = await conveyor.tasks.submitBatch([...items], { idempotencyKey: key });
    expect(first).toMatchObject({ count: 3, created: 3 });
    expect(first.tasks.every((t) => t.created && t.status === 'PENDING')).toBe(true);
    const again = await conveyor.tasks.submitBatch([...items], { idempotencyKey: key });
    expect(again).toMatchObject({ count: 3, created: 0 });
    expect(again.tasks.map((t) => t.id)).toEqual(first.tasks.map((t) => t.id));
    expect(await conveyor.tasks.get(first.tasks[1]!.id)).toMatchObject({ status: 'PENDING', priority: 5, run_at: expect.any(String) });
  });

  it('makes one task when the answer to a submission is lost and the client sends it again', async () => {
    const proxy = await TcpProxy.start(s.apiPort);
    try {
      const conveyor = await s.tenant('starter', { baseUrl: proxy.url });
      proxy.dropAnswers(1);
      const submitted = await conveyor.tasks.submit('ping', {});
      // The first request reached the server, whose answer was cut; the second, with the same
      // generated Idempotency-Key, got the task the first one made.
      const posts = proxy.connections.filter((c) => c.request.startsWith('POST /api/v1/tasks '));
      expect(posts).toHaveLength(2);
      const keys = posts.map((c) => /idempotency-key: (\S+)/i.exec(c.request)?.[1]);
      expect(keys[0]).toMatch(/^[0-9a-f-]{36}$/);
      expect(keys[1]).toBe(keys[0]);
      expect(submitted.created).toBe(false);
      const all = [];
      for await (const task of conveyor.tasks.list()) all.push(task.task_id);
      expect(all).toEqual([submitted.id]);
    } finally {
      await proxy.close();
    }
  });

  it('refuses an invalid payload with a ValidationError naming the field', async () => {
    const conveyor = await s.tenant();
    const error = await conveyor.tasks.submit('test_task', { message: '' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ValidationError);
    expect(error).toMatchObject({ status: 400, code: 'validation_failed', issues: [{ path: 'payload.message', message: expect.any(String) }] });
    expect((error as Error).message).toMatch(/payload\.message.*\(POST \/api\/v1\/tasks answered 400 validation_failed\)$/);

    // What the types refuse (typecheck fails without the expect-error lines), the server refuses too.
    // @ts-expect-error: test_task's message is a string
    await expect(conveyor.tasks.submit('test_task', { message: 42 })).rejects.toMatchObject({ issues: [{ path: 'payload.message' }] });
    // @ts-expect-error: not a task of the catalog
    await expect(conveyor.tasks.submit('no_such_task', {})).rejects.toMatchObject({ status: 400, code: 'unknown_task' });
  });

  it('answers a reused idempotency key with another payload with a ConflictError', async () => {
    const conveyor = await s.tenant();
    const idempotencyKey = randomUUID();
    await conveyor.tasks.submit('test_task', { message: 'one' }, { idempotencyKey, delayMs: HOUR });
    const error = await conveyor.tasks.submit('test_task', { message: 'two' }, { idempotencyKey, delayMs: HOUR }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConflictError);
    expect(error).toMatchObject({ status: 409, code: 'idempotency_conflict' });
  });
});

describe('reading, cancelling and retrying', () => {
  it('throws NotFoundError for a task of nobody (or of another tenant), ValidationError for a malformed id', async () => {
    const [conveyor, other] = [await s.tenant(), await s.tenant()];
    const { id } = await other.tasks.submit('ping', {}, { delayMs: HOUR });
    for (const missing of [randomUUID(), id]) {
      const error = await conveyor.tasks.get(missing).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(NotFoundError);
      expect(error).toMatchObject({ status: 404, code: 'task_not_found' });
    }
    await expect(conveyor.tasks.result('not-a-uuid')).rejects.toBeInstanceOf(ValidationError);
  });

  it('cancels a waiting task; cancelling it again is a ConflictError', async () => {
    const conveyor = await s.tenant();
    const { id } = await conveyor.tasks.submit('ping', {}, { delayMs: HOUR });
    expect(await conveyor.tasks.cancel(id)).toMatchObject({ task_id: id, status: 'REVOKED' });
    expect(await conveyor.tasks.wait(id, { timeoutMs: 60_000 })).toMatchObject({ status: 'REVOKED', result: null });
    const error = await conveyor.tasks.cancel(id).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConflictError);
    expect(error).toMatchObject({ status: 409, code: 'task_finished' });
  });

  it('retries a task that failed for good, which then runs again', async () => {
    const conveyor = await s.tenant();
    // Three attempts (test_task's policy), all failing.
    const { id } = await conveyor.tasks.submit('test_task', { message: 'doomed', steps: 1, step_ms: 0, fail_attempts: 5 });
    const failed = await conveyor.tasks.wait(id, { timeoutMs: 60_000 });
    expect(failed).toMatchObject({ status: 'FAILURE', result: null, error: { type: 'Error', message: expect.stringContaining('fails on purpose') } });
    await expect(conveyor.tasks.retry(id)).resolves.toMatchObject({ task_id: id, status: 'PENDING', enqueued: true });
    await expect(conveyor.tasks.retry(randomUUID())).rejects.toBeInstanceOf(NotFoundError);
  });

  it('lists dead letters and replays one with an admin key; a tenant key may not', async () => {
    const conveyor = await s.tenant();
    const { id } = await conveyor.tasks.submit('test_task', { message: 'dead', steps: 1, step_ms: 0, fail_attempts: 5 });
    expect(await conveyor.tasks.wait(id, { timeoutMs: 60_000 })).toMatchObject({ status: 'FAILURE' });

    const admin = await s.admin();
    const letters = [];
    for await (const letter of admin.deadLetters.list({ task: 'test_task', limit: 1 })) letters.push(letter);
    expect(letters).toContainEqual(
      expect.objectContaining({ task_id: id, task: 'test_task', queue: 'monitoring', attempts: 3, error: expect.objectContaining({ type: 'Error' }) }),
    );
    const page = await admin.deadLetters.listPage({ tenantId: letters.find((l) => l.task_id === id)!.tenant_id });
    expect(page).toEqual({ deadLetters: [expect.objectContaining({ task_id: id })], nextCursor: null });

    expect(await admin.deadLetters.replay({ taskIds: [id] })).toEqual({ replayed: 1, task_ids: [id], enqueued: true });
    await expect(admin.deadLetters.replay({ filter: { task: 'ping', failedAfter: new Date().toISOString() } })).resolves.toMatchObject({ replayed: 0 });
    await expect(conveyor.deadLetters.listPage()).rejects.toBeInstanceOf(PermissionDeniedError);
  });

  it("lists, groups, replays (with an edited payload, which then runs) and discards the tenant's own dead letters", async () => {
    const conveyor = await s.tenant();
    const doomed = { message: 'dead', steps: 1, step_ms: 0, fail_attempts: 5 };
    const [first, second] = [(await conveyor.tasks.submit('test_task', doomed)).id, (await conveyor.tasks.submit('test_task', doomed)).id];
    for (const id of [first, second]) expect(await conveyor.tasks.wait(id, { timeoutMs: 60_000 })).toMatchObject({ status: 'FAILURE' });

    const mine = [];
    for await (const letter of conveyor.deadLetters.listOwn({ errorCode: 'Error', limit: 1 })) mine.push(letter);
    expect(mine.map((l) => l.task_id).sort()).toEqual([first, second].sort());
    expect(mine[0]).toMatchObject({ task: 'test_task', error_code: 'Error', payload: doomed });
    expect(await conveyor.deadLetters.groups()).toEqual([{ task: 'test_task', error_code: 'Error', count: 2, last_failed_at: expect.any(String) }]);

    const refused = await conveyor.deadLetters.replayOne(first, { payload: { message: '' } }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(ValidationError);
    expect(refused).toMatchObject({ issues: [{ path: 'payload.message' }] });
    expect(await conveyor.deadLetters.replayOne(first, { payload: { message: 'fixed', steps: 1, step_ms: 0 } })).toMatchObject({
      task_id: first,
      status: 'PENDING',
    });
    expect(await conveyor.tasks.wait<'test_task'>(first, { timeoutMs: 60_000 })).toMatchObject({ status: 'SUCCESS', result: { echo: 'fixed' } });

    await conveyor.deadLetters.discard(second);
    expect((await conveyor.deadLetters.listOwnPage()).deadLetters).toEqual([]);
    expect(await conveyor.deadLetters.replayOwn({ all: true })).toMatchObject({ replayed: 0, not_replayed: [] });
    await expect(conveyor.deadLetters.discard(second)).rejects.toBeInstanceOf(NotFoundError);
    const other = await s.tenant();
    await expect(other.deadLetters.replayOne(second)).rejects.toBeInstanceOf(NotFoundError);
  });

  it('shows the queues to a tenant, and the workers to an admin only', async () => {
    const conveyor = await s.tenant();
    await conveyor.tasks.submit('ping', {}, { delayMs: HOUR });
    const overview = await conveyor.queues.list('6h');
    expect(overview).toMatchObject({ window: '6h', bucket_ms: 1_800_000, dashboard_url: '/admin/queues' });
    expect(overview.queues.find((q) => q.queue === 'monitoring')!.counts).toMatchObject({ PENDING: 1, SUCCESS: 0 });
    await expect(conveyor.workers.list()).rejects.toBeInstanceOf(PermissionDeniedError);
    const workers = await (await s.admin()).workers.list();
    expect(workers).toContainEqual(expect.objectContaining({ queue: 'monitoring', active: expect.any(Number), version: expect.any(String) }));
  });

  it('makes a task token that reads the task and its live events, and refuses a lifetime out of range', async () => {
    const conveyor = await s.tenant();
    const { id } = await conveyor.tasks.submit('ping', {}, { delayMs: HOUR });
    const { token, eventsUrl } = await conveyor.tasks.createToken(id);
    expect((await fetch(`${s.baseUrl}/api/v1/tasks/${id}?token=${token}`)).status).toBe(200);
    const events = await fetch(eventsUrl);
    expect(events.headers.get('content-type')).toMatch(/^text\/event-stream/);
    await events.body!.cancel();
    const error = await conveyor.tasks.createToken(id, { ttlSeconds: 5 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ValidationError);
    expect(error).toMatchObject({ issues: [{ path: 'ttl_seconds', message: expect.any(String) }] });
    await expect(conveyor.tasks.createToken(randomUUID())).rejects.toBeInstanceOf(NotFoundError);
  });

  it('lists every task across several pages, and one page with its cursor', async () => {
    const { fetch, seen } = recordingFetch();
    const conveyor = await s.tenant('starter', { fetch });
    const batch = await conveyor.tasks.submitBatch(Array.from({ length: 5 }, () => ({ task: 'ping' as const, payload: {}, delayMs: HOUR })));
    const { id: other } = await conveyor.tasks.submit('test_task', { message: 'not a ping' }, { delayMs: HOUR });

    const pings: string[] = [];
    for await (const task of conveyor.tasks.list({ task: 'ping', status: ['PENDING', 'STARTED'], limit: 2 })) pings.push(task.task_id);
    expect(pings.sort()).toEqual(batch.tasks.map((t) => t.id).sort());
    expect(seen.filter((r) => r.method === 'GET' && r.path === '/api/v1/tasks')).toHaveLength(3); // pages of 2, 2 and 1

    const first = await conveyor.tasks.listPage({ limit: 4 });
    expect(first.tasks).toHaveLength(4);
    expect(first.tasks[0]!.task_id).toBe(other); // newest first
    const rest = await conveyor.tasks.listPage({ limit: 4, cursor: first.nextCursor! });
    expect(rest).toEqual({ tasks: expect.any(Array), nextCursor: null });
    expect(rest.tasks).toHaveLength(2);
    await expect(conveyor.tasks.listPage({ cursor: 'not-a-cursor' })).rejects.toMatchObject({ status: 400, code: 'invalid_cursor' });
  });

  it('filters the list by queue, tags and creation time, and reads a task’s log lines page by page', async () => {
    const conveyor = await s.tenant();
    const { id: tagged } = await conveyor.tasks.submit('ping', {}, { delayMs: HOUR, tags: ['env=prod', 'team:a'] });
    await conveyor.tasks.submit('ping', {}, { delayMs: HOUR, tags: ['env=prod'] });
    const ids = async (filter: Parameters<typeof conveyor.tasks.listPage>[0]) => (await conveyor.tasks.listPage(filter)).tasks.map((t) => t.task_id);
    expect(await ids({ tags: ['env=prod', 'team:a'], queue: 'monitoring' })).toEqual([tagged]);
    expect(await ids({ queue: 'generation' })).toEqual([]);
    expect(await ids({ createdAfter: new Date(Date.now() + HOUR) })).toEqual([]);
    await expect(conveyor.tasks.listPage({ tags: ['no spaces'] })).rejects.toBeInstanceOf(ValidationError);

    const { id } = await conveyor.tasks.submit('test_task', { message: 'log me', steps: 3, step_ms: 10 });
    await conveyor.tasks.wait(id, { timeoutMs: 60_000 });
    const lines: string[] = [];
    for await (const line of conveyor.tasks.logs(id, { limit: 2 })) lines.push(line.message);
    expect(lines).toEqual(['step 1 of 3', 'step 2 of 3', 'step 3 of 3']);
    expect((await conveyor.tasks.logsPage(id, { limit: 2 })).nextCursor).toEqual(expect.any(String));
  }, 90_000);
});

describe('waiting', () => {
  it('gives up with WaitTimeoutError past timeoutMs, and rejects with the reason when aborted', async () => {
    const conveyor = await s.tenant();
    const { id } = await conveyor.tasks.submit('ping', {}, { delayMs: HOUR });
    const timedOut = await conveyor.tasks.wait(id, { timeoutMs: 200 }).catch((e: unknown) => e);
    expect(timedOut).toBeInstanceOf(WaitTimeoutError);
    expect(timedOut).toMatchObject({ taskId: id, timeoutMs: 200 });
    expect((timedOut as Error).message).toMatch(/did not end within 200 ms.*wait again, or cancel it/);

    const controller = new AbortController();
    const waiting = conveyor.tasks.wait(id, { signal: controller.signal });
    controller.abort(new Error('the user left'));
    await expect(waiting).rejects.toThrow('the user left');
  });

  it('polls when its live stream is refused (the tenant already has one open)', async () => {
    const { fetch, seen } = recordingFetch();
    const conveyor = await s.tenant('starter', { fetch });
    const { id: held } = await conveyor.tasks.submit('ping', {}, { delayMs: HOUR });
    const holder = conveyor.tasks.subscribe(held)[Symbol.asyncIterator]();
    expect((await holder.next()).value).toMatchObject({ type: 'state', status: 'PENDING' });

    const { id } = await conveyor.tasks.submit('ping', {});
    expect(await conveyor.tasks.wait<'ping'>(id, { timeoutMs: 60_000, pollIntervalMs: 50 })).toMatchObject({ status: 'SUCCESS', result: 'pong' });
    expect(seen).toContainEqual({ method: 'GET', path: `/api/v1/tasks/${id}/events`, status: 429 });
    expect(seen.filter((r) => r.path === `/api/v1/tasks/${id}`).length).toBeGreaterThan(0);
    await holder.return!(undefined);
  });

  it('says what went wrong when the server cannot be reached', async () => {
    const conveyor = await s.tenant('starter', { baseUrl: 'http://127.0.0.1:1', maxRetries: 1, maxRetryDelayMs: 10 });
    const error = await conveyor.tasks.get(randomUUID()).catch((e: unknown) => e);
    expect(error).not.toBeInstanceOf(ConveyorApiError);
    expect(error).toMatchObject({ name: 'ConnectionError' });
    expect((error as Error).message).toMatch(
      /Could not reach the Conveyor API for GET \/api\/v1\/tasks\/.* \(after 1 retry\): .*check baseUrl \(http:\/\/127\.0\.0\.1:1\)/,
    );
  });
});
