import { LlmSimulator } from '@conveyor/sim';
import { AppStack, freePort } from '@conveyor/testkit';
import { migrateUrl, schemaFingerprint } from '@conveyor/db';
import type { Conveyor } from '@conveyor/client';
import { type Json, clientOf } from './support';

// Chat-driven transformations end to end: the API, the generation worker (the model turns
// the message into a program) and the analysis worker (the program runs over the dataset) as
// real processes, the model as the loopback LLM simulator.

const sim = new LlmSimulator();
let stack: AppStack;
let conveyor: Conveyor;
let api: string;
let apiKey: string;

beforeAll(async () => {
  const baseUrl = await sim.listen();
  stack = await AppStack.create({
    template: { key: schemaFingerprint(), migrate: migrateUrl },
    env: { OPENROUTER_BASE_URL: baseUrl, OPENROUTER_API_KEY: 'sk-sim' },
  });
  const apiPort = await freePort();
  await Promise.all([stack.start('api', apiPort), stack.start('worker-generation', await freePort()), stack.start('worker-analysis', await freePort())]);
  api = `http://127.0.0.1:${apiPort}/api/v1`;
  apiKey = (await stack.createTenant('datasets')).api_key;
  conveyor = clientOf(apiPort, apiKey);
}, 300_000);
afterAll(async () => {
  await stack?.stop();
  await sim.close();
}, 30_000);

/** 1,000 people, 150 of them without an email (ids that are multiples of 20, or end in 3 or 7 up to 500). */
function peopleCsv(): { csv: string; nullEmails: number } {
  const lines = ['id,name,email,age'];
  let nullEmails = 0;
  for (let id = 1; id <= 1000; id += 1) {
    const noEmail = id % 20 === 0 || (id % 10 === 7 && id <= 500) || (id % 10 === 3 && id <= 500);
    if (noEmail) nullEmails += 1;
    lines.push(`${id},Person ${id},${noEmail ? '' : `p${id}@example.com`},${20 + (id % 50)}`);
  }
  return { csv: `${lines.join('\n')}\n`, nullEmails };
}

/** Raw fetch: the upload's body is the CSV itself, which the client (JSON only) does not send. */
async function upload(sessionId: string, csv: string) {
  const res = await fetch(`${api}/sessions/${sessionId}/datasets?filename=people.csv`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${apiKey}`, 'Content-Type': 'text/csv' },
    body: csv,
  });
  return { status: res.status, body: (await res.json()) as Record<string, any> };
}

/** Sends a chat message and waits for its task to end. */
async function chat(sessionId: string, message: string) {
  const accepted = await conveyor.request<Json>('POST', `/sessions/${sessionId}/chat`, { body: { message } });
  expect(accepted).toMatchObject({ task_id: expect.any(String), status: 'PENDING', message: 'Task queued for processing' });
  return conveyor.tasks.wait<'process_chat_message'>(accepted.task_id as string, { timeoutMs: 120_000 });
}

/** The chat task's answer from GET /tasks/{id}/result. */
const resultOf = (taskId: string) => conveyor.tasks.result<'process_chat_message'>(taskId);

/** A route of the sessions API, which has no typed resource in the client. */
const get = (path: string, query?: Record<string, number>) => conveyor.request<Json>('GET', path, { query });

async function allRows(sessionId: string, nodeId: string): Promise<Record<string, unknown>[]> {
  const rows: Record<string, unknown>[] = [];
  for (let offset = 0; ; offset += 1000) {
    const body = await get(`/sessions/${sessionId}/nodes/${nodeId}/rows`, { offset, limit: 1000 });
    rows.push(...(body.rows as Record<string, unknown>[]));
    if (rows.length >= (body.total_rows as number)) return rows;
  }
}

describe('talking to a dataset', () => {
  let sessionId: string;
  let rootId: string;

  beforeAll(async () => {
    sessionId = (await conveyor.request<Json>('POST', '/sessions', { body: { name: 'people' } })).session_id as string;
    const { csv, nullEmails } = peopleCsv();
    expect(nullEmails).toBe(150);
    const uploaded = await upload(sessionId, csv);
    expect(uploaded.status).toBe(201);
    rootId = uploaded.body.node_id as string;
    expect(uploaded.body.columns).toEqual([
      { name: 'id', type: 'integer', null_count: 0 },
      { name: 'name', type: 'string', null_count: 0 },
      { name: 'email', type: 'string', null_count: 150 },
      { name: 'age', type: 'integer', null_count: 0 },
    ]);
  });

  it('"remove rows where email is null" makes a new version without them, and the head can go back', async () => {
    const done = await chat(sessionId, 'remove rows where email is null');
    expect(done.status).toBe('SUCCESS');
    const body = await resultOf(done.task_id);
    expect(body.result).toMatchObject({ node_id: expect.any(String), rows_affected: 150, transformation: 'Dropped 150 rows where email was null' });
    const nodeId = body.result!.node_id as string;
    // The session takes the next message: the finished one is no longer its active task.
    expect(await get(`/sessions/${sessionId}`)).toMatchObject({ head_node_id: nodeId, active_task_id: null });

    const node = await get(`/sessions/${sessionId}/nodes/${nodeId}`);
    expect(node).toMatchObject({ parent_id: rootId, row_count: 850, rows_affected: 150, is_head: true });
    const rows = await allRows(sessionId, nodeId);
    expect(rows).toHaveLength(850);
    expect(rows.every((r) => typeof r.email === 'string' && r.email.length > 0)).toBe(true);
    expect(rows[0]).toEqual({ id: 1, name: 'Person 1', email: 'p1@example.com', age: 21 });

    // Undo: the head goes back to the upload, whose rows are all still there; redo goes forward.
    const back = await conveyor.request<Json>('POST', `/sessions/${sessionId}/head`, { body: { node_id: rootId } });
    expect(back).toMatchObject({ head_node_id: rootId });
    expect((await get(`/sessions/${sessionId}`)).head_node_id).toBe(rootId);
    expect(await allRows(sessionId, rootId)).toHaveLength(1000);
    expect((await conveyor.request<Json>('POST', `/sessions/${sessionId}/head`, { body: { node_id: nodeId } })).head_node_id).toBe(nodeId);

    const history = await get(`/sessions/${sessionId}/messages`);
    expect(history.messages.map((m: { role: string }) => m.role)).toEqual(['user', 'assistant']);
  });

  it('a message that is not a transformation gets a reply and changes nothing', async () => {
    const before = (await get(`/sessions/${sessionId}`)).head_node_id as string;
    const done = await chat(sessionId, 'write a poem about this table');
    expect(done.status).toBe('SUCCESS');
    const body = await resultOf(done.task_id);
    expect(body.result).toMatchObject({ node_id: null, rows_affected: 0, transformation: null, reply: expect.stringMatching(/cannot/) });
    expect((await get(`/sessions/${sessionId}`)).head_node_id).toBe(before);
  });

  it('a program naming a column the table lacks fails clearly and makes no version', async () => {
    const nodes = (await get(`/sessions/${sessionId}/nodes`)).nodes.length as number;
    const done = await chat(sessionId, 'remove rows where emial is null');
    expect(done.status).toBe('FAILURE');
    const body = await resultOf(done.task_id);
    expect(body.error).toMatchObject({ code: 'INVALID_PROGRAM', message: expect.stringContaining('"emial"') });
    expect((await get(`/sessions/${sessionId}/nodes`)).nodes).toHaveLength(nodes);
  });

  it('chains messages: each transforms the version the one before made', async () => {
    const sorted = await chat(sessionId, 'sort by age descending');
    expect(sorted.status).toBe('SUCCESS');
    const first = (await resultOf(sorted.task_id)).result!;
    const limited = await chat(sessionId, 'keep the first 5 rows');
    const second = (await resultOf(limited.task_id)).result!;
    expect(second).toMatchObject({ transformation: 'Kept the first 5 rows (dropped 845)' });
    const node = await get(`/sessions/${sessionId}/nodes/${second.node_id as string}`);
    expect(node.parent_id).toBe(first.node_id);
    const rows = await allRows(sessionId, second.node_id as string);
    expect(rows.map((r) => r.age)).toEqual([69, 69, 69, 69, 69]);
  });
});
