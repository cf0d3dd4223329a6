import request from 'supertest';
import { type Harness, startHarness } from './helpers';

let h: Harness;
beforeAll(async () => (h = await startHarness()));
afterAll(() => h.close());

const submit = (task: string, payload: unknown) =>
  request(h.app)
    .post('/api/v1/tasks')
    .set({ Authorization: `Bearer ${h.keyA}` })
    .send({ task, payload });

describe('LLM tasks are validated at submission', () => {
  it.each([
    ['classify_archetype', {}, 'payload.text'],
    ['classify_archetype', { text: '' }, 'payload.text'],
    ['score_post', { text: 'ok', criteria: [] }, 'payload.criteria'],
    ['extract_patterns', { posts: ['only one'] }, 'payload.posts'],
    ['generate_draft', { brief: 'x', platform: 'myspace' }, 'payload.platform'],
    ['process_chat_message', { message: 'hi', conversation_id: 'not-a-uuid' }, 'payload.conversation_id'],
    ['process_chat_message', { message: 'hi', api_key: 'sk-secret' }, 'payload'],
  ])('%s with %j gets 400 naming %s, and nothing is queued', async (task, payload, path) => {
    const res = await submit(task, payload);
    expect(res.status).toBe(400);
    expect(res.body.issues.map((i: { path: string }) => i.path)).toContain(path);
    expect(JSON.stringify(res.body)).not.toContain('sk-secret');
  });

  it('accepts valid LLM payloads onto their own queues', async () => {
    const res = await submit('generate_draft', { brief: 'Launch post', campaign_id: 'c1' });
    expect(res.status).toBe(202);
    expect(await h.producer.queue('generation').getJob(res.body.task_id)).toBeDefined();
  });
});
