import { findTaskForTenant } from '@conveyor/db';
import request from 'supertest';
import { type Harness, failForGood, startHarness } from './helpers';
import { as, newSession, uploaded } from './session-fixtures';

// A session's chat: a message becomes a process_chat_message task, one at a time per session,
// and only once the session has data. The workers that answer it are not part of these tests.

let h: Harness;
beforeAll(async () => (h = await startHarness()));
afterAll(() => h.close());

const chat = (session: string, body: object, key = h.keyA) => request(h.app).post(`/api/v1/sessions/${session}/chat`).set(as(key)).send(body);
const sessionView = async (session: string) => (await request(h.app).get(`/api/v1/sessions/${session}`).set(as(h.keyA))).body;
const taskCount = async (session: string) =>
  (await h.db.selectFrom('tasks').select('payload').where('task', '=', 'process_chat_message').execute()).filter(
    (t) => (t.payload as { session_id?: string }).session_id === session,
  ).length;

async function sessionWithData(): Promise<string> {
  const session = await newSession(h);
  await uploaded(h, session, 'email,name\na@example.com,Ann\n,Bo\n');
  return session;
}

describe('a chat message', () => {
  it('is accepted as a process_chat_message task for the session, which becomes its active task', async () => {
    const session = await sessionWithData();
    const res = await chat(session, { message: '  drop the rows without an email  ' });
    expect(res.status).toBe(202);
    expect(res.body).toEqual({ task_id: expect.any(String), status: 'PENDING', message: 'Task queued for processing' });
    expect(res.headers.location).toBe(`/api/v1/tasks/${res.body.task_id}`);

    const task = await findTaskForTenant(h.db, res.body.task_id, h.tenantA);
    expect(task).toMatchObject({
      task: 'process_chat_message',
      queue: 'generation',
      status: 'PENDING',
      payload: { message: 'drop the rows without an email', session_id: session },
    });
    expect((await h.producer.queue('generation').getJob(res.body.task_id))?.id).toBe(res.body.task_id);
    expect(await sessionView(session)).toMatchObject({ active_task_id: res.body.task_id });
    // The task is the tenant's, readable like any other.
    expect((await request(h.app).get(`/api/v1/tasks/${res.body.task_id}`).set(as(h.keyA))).status).toBe(200);
  });

  it('is refused with 409 naming the task while the previous one still runs, and accepted once it has ended', async () => {
    const session = await sessionWithData();
    const first = await chat(session, { message: 'sort by name' });
    expect(first.status).toBe(202);
    const second = await chat(session, { message: 'and drop duplicates' });
    expect(second.status).toBe(409);
    expect(second.body).toMatchObject({ error: 'session_busy', message: expect.stringContaining(`task ${first.body.task_id}, PENDING`) });
    expect(await taskCount(session)).toBe(1);

    await failForGood(h.db, first.body.task_id);
    const third = await chat(session, { message: 'and drop duplicates' });
    expect(third.status).toBe(202);
    expect(await sessionView(session)).toMatchObject({ active_task_id: third.body.task_id });
  });

  it('lets one of several concurrent messages through', async () => {
    const session = await sessionWithData();
    const answers = await Promise.all(Array.from({ length: 6 }, (_, i) => chat(session, { message: `change ${i}` })));
    expect(answers.map((a) => a.status).sort()).toEqual([202, 409, 409, 409, 409, 409]);
    const accepted = answers.find((a) => a.status === 202)!.body.task_id;
    expect(await taskCount(session)).toBe(1);
    for (const refused of answers.filter((a) => a.status === 409)) expect(refused.body.message).toContain(accepted);
  });

  it('is refused with 409 before the session has data, saying to upload first', async () => {
    const session = await newSession(h);
    const res = await chat(session, { message: 'drop empty rows' });
    expect(res.status).toBe(409);
    expect(res.body).toMatchObject({
      error: 'session_has_no_dataset',
      message: expect.stringContaining(`upload a dataset first (POST /api/v1/sessions/${session}/datasets)`),
    });
    expect(await taskCount(session)).toBe(0);
    expect((await sessionView(session)).active_task_id).toBeNull();
  });

  it.each([
    ['no message', {}],
    ['an empty message', { message: '' }],
    ['a blank message', { message: '   ' }],
    ['a message over 4,000 characters', { message: 'x'.repeat(4001) }],
    ['another field', { message: 'hi', session_id: 'x' }],
    ['a number', { message: 1 }],
  ])('answers 400 to %s', async (_what, body) => {
    const session = await sessionWithData();
    const res = await chat(session, body);
    expect([res.status, res.body.error]).toEqual([400, 'validation_failed']);
    expect(await taskCount(session)).toBe(0);
  });
});
