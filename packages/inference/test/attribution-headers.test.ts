import { PassThrough } from 'node:stream';
import { createLogger } from '@conveyor/observability';
import { LlmSimulator } from '@conveyor/sim';
import { z } from 'zod';
import { type Attribution, createInferenceRouter } from '../src';

// OpenRouter's app attribution (HTTP-Referer, X-Title) must come with every request the
// router makes to the provider: the model list it checks at start, each model of a fallback
// chain, and the repair round.
const logger = createLogger({ service: 'test', stream: new PassThrough() });
const sim = new LlmSimulator();
let baseUrl: string;
beforeAll(async () => (baseUrl = await sim.listen()));
afterAll(() => sim.close());
afterEach(() => sim.clearFaults());

const router = (attribution?: Attribution) => createInferenceRouter({ baseUrl, apiKey: 'sk-test', timeoutMs: 60_000, attribution }, logger);
const messages = [{ role: 'user' as const, content: 'Score this post.' }];
const attributionOf = (headers: Record<string, unknown>) => ({ referer: headers['http-referer'], title: headers['x-title'] });

describe("the provider's attribution headers", () => {
  it('come with the model list, every model of a fallback chain and the repair round', async () => {
    const r = router({ referer: 'https://jobs.example.com/', title: 'Acme Jobs' });
    const lists = sim.modelListRequests.length;
    const chats = sim.requests.length;
    expect(await r.verifyModels()).toBe(true);
    // The first model answers 500, the second first drops the connection: the third call succeeds.
    sim.setFault('anthropic/claude-3-haiku', { status: 500, times: 1 });
    sim.setFault('google/gemini-2.0-flash-001', { drop: true, times: 1 });
    await expect(r.complete({ task: 'score_post', messages })).rejects.toThrow(/every model/);
    sim.setFault('anthropic/claude-3-haiku', { status: 429, times: 1 });
    sim.setFault('google/gemini-2.0-flash-001', { invalidJson: true, times: 1 });
    const schema = z.object({ score: z.number() });
    // The repaired answer comes from the top of the chain again.
    expect((await r.complete({ task: 'score_post', messages, schema })).model_used).toBe('anthropic/claude-3-haiku');

    const calls = sim.requests.slice(chats);
    expect(calls.map((c) => [c.model, c.status])).toEqual([
      ['anthropic/claude-3-haiku', 500],
      ['google/gemini-2.0-flash-001', 0],
      ['anthropic/claude-3-haiku', 429],
      ['google/gemini-2.0-flash-001', 200],
      ['anthropic/claude-3-haiku', 200],
    ]);
    const seen = [...sim.modelListRequests.slice(lists), ...calls].map((c) => attributionOf(c.headers));
    expect(seen).toHaveLength(6);
    for (const headers of seen) expect(headers).toEqual({ referer: 'https://jobs.example.com/', title: 'Acme Jobs' });
  });

  it('carry the configured title without a referer when none is set', async () => {
    const chats = sim.requests.length;
    await router({ title: 'Conveyor' }).complete({ task: 'classify_archetype', messages });
    expect(attributionOf(sim.requests[chats]!.headers)).toEqual({ referer: undefined, title: 'Conveyor' });
  });
});
