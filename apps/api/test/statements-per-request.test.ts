import { createRequire } from 'node:module';
import request from 'supertest';
import { type Harness, startHarness } from './helpers';

// The pg driver @conveyor/db talks through: every statement the API sends passes its Client's query().
type Query = (...args: unknown[]) => unknown;
const pg = createRequire(require.resolve('@conveyor/db'))('pg') as { Client: { prototype: { query: Query } } };

let h: Harness;
// Keys cached, as deployed (API_KEY_CACHE_MS defaults to 10 s): a known key needs no lookup.
beforeAll(async () => (h = await startHarness({ keyCacheMs: 600_000 })));
afterAll(() => h.close());

const auth = () => ({ Authorization: `Bearer ${h.keyA}` });

/** The text of every statement sent to Postgres while `act` runs, on any connection of this process. */
async function statementsDuring(act: () => Promise<unknown>): Promise<string[]> {
  const texts: string[] = [];
  const query = pg.Client.prototype.query;
  const spy = jest.spyOn(pg.Client.prototype, 'query').mockImplementation(function (this: unknown, ...args: unknown[]) {
    const first = args[0] as string | { text?: string };
    texts.push(typeof first === 'string' ? first : (first?.text ?? ''));
    return query.apply(this, args);
  });
  try {
    await act();
  } finally {
    spy.mockRestore();
  }
  return texts;
}

// Statements of a request's own work (tasks, their costs, keys, tenants): not the pollers' or the tests'.
const ofTheRequest = (texts: string[]) => texts.filter((t) => /\b(tasks|usage_tracking|api_keys|tenants)\b/.test(t));

describe('statements per request (round trips to Postgres on the hot paths)', () => {
  it('POST /tasks sends one statement: the INSERT (shared with concurrent submissions)', async () => {
    await request(h.app).post('/api/v1/tasks').set(auth()).send({ task: 'ping' }).expect(202); // the key is now cached
    const texts = await statementsDuring(() => request(h.app).post('/api/v1/tasks').set(auth()).send({ task: 'ping' }).expect(202));
    expect(ofTheRequest(texts)).toEqual([expect.stringMatching(/^\s*insert into tasks/)]);
  });

  it('GET /tasks/{id} reads the task and what its LLM calls cost in one statement', async () => {
    const created = await request(h.app).post('/api/v1/tasks').set(auth()).send({ task: 'ping' }).expect(202);
    const texts = await statementsDuring(async () => {
      const read = await request(h.app).get(`/api/v1/tasks/${created.body.task_id}`).set(auth()).expect(200);
      expect(read.body).toMatchObject({ task_id: created.body.task_id, cost_usd: 0, attempt_history: [] });
    });
    const statements = ofTheRequest(texts);
    expect(statements).toHaveLength(1);
    expect(statements[0]).toMatch(/\bfrom "?tasks"?\b/);
    expect(statements[0]).toMatch(/usage_tracking/);
  });
});
