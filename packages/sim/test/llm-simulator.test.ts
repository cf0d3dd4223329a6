import { LlmSimulator, valueFromSchema } from '../src';

describe('LlmSimulator', () => {
  const sim = new LlmSimulator();
  let base: string;
  beforeAll(async () => (base = await sim.listen()));
  afterAll(() => sim.close());

  const chat = (body: object, headers: Record<string, string> = { authorization: 'Bearer k' }, signal?: AbortSignal) =>
    fetch(`${base}/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body), signal });

  it('answers deterministically with usage and cost', async () => {
    const body = { model: 'openai/gpt-4o-mini', messages: [{ role: 'user', content: 'hello' }], max_tokens: 5 };
    const a = (await (await chat(body)).json()) as { choices: { message: { content: string } }[]; usage: { completion_tokens: number; cost: number } };
    const b = (await (await chat(body)).json()) as typeof a;
    expect(a.choices[0]!.message.content).toBe(b.choices[0]!.message.content);
    expect(a.usage.completion_tokens).toBeLessThanOrEqual(5);
    expect(a.usage.cost).toBeGreaterThan(0);
  });

  it('speaks the protocol errors: 401 without a key, 404 for an unknown model, injected faults a set number of times', async () => {
    expect((await chat({ model: 'openai/gpt-4o-mini', messages: [{ role: 'user', content: 'x' }] }, {})).status).toBe(401);
    expect((await chat({ model: 'nobody/nothing', messages: [{ role: 'user', content: 'x' }] })).status).toBe(404);
    await fetch(`${base.replace('/v1', '')}/__sim/faults`, {
      method: 'POST',
      body: JSON.stringify({ model: 'openai/gpt-4o-mini', fault: { status: 429, retryAfterSeconds: 3, times: 1 } }),
    });
    const limited = await chat({ model: 'openai/gpt-4o-mini', messages: [{ role: 'user', content: 'x' }] });
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBe('3');
    expect((await chat({ model: 'openai/gpt-4o-mini', messages: [{ role: 'user', content: 'x' }] })).status).toBe(200);
  });

  it('records a request when it arrives, not when its delayed answer goes out', async () => {
    sim.setFault('openai/gpt-4o-mini', { delayMs: 60_000, times: 1 });
    const before = sim.requests.length;
    const client = new AbortController();
    const pending = chat({ model: 'openai/gpt-4o-mini', messages: [{ role: 'user', content: 'slow' }] }, { authorization: 'Bearer k' }, client.signal).catch(
      (e: Error) => e,
    );
    // Its answer is a minute away: it is on the list while unanswered (bounded wait, not a race).
    for (let waited = 0; sim.requests.length === before && waited < 10_000; waited += 10) await new Promise((r) => setTimeout(r, 10));
    expect(sim.requests.slice(before)).toEqual([
      { model: 'openai/gpt-4o-mini', body: expect.objectContaining({ messages: [{ role: 'user', content: 'slow' }] }), status: 0, headers: expect.any(Object) },
    ]);
    client.abort();
    expect(await pending).toMatchObject({ name: 'AbortError' });
    // The client gone, the delay ends: the request is answered (to nobody) and keeps its place.
    for (let waited = 0; sim.requests[before]!.status === 0 && waited < 10_000; waited += 10) await new Promise((r) => setTimeout(r, 10));
    expect(sim.requests[before]!.status).toBe(200);
    expect(sim.requests.length).toBe(before + 1);
  });

  it('rejects when its port is taken, instead of leaving an unhandled server error', async () => {
    const port = Number(new URL(base).port);
    const second = new LlmSimulator();
    await expect(second.listen(port)).rejects.toMatchObject({ code: 'EADDRINUSE' });
    await second.close();
  });

  it('lists its models with prices', async () => {
    const list = (await (await fetch(`${base}/models`)).json()) as { data: { id: string }[] };
    expect(list.data.map((m) => m.id)).toContain('anthropic/claude-3-haiku');
  });

  it('records the headers of chat and model-list requests, never the API key', async () => {
    const headers = { authorization: 'Bearer sk-secret', 'x-title': 'Probe' };
    const chats = sim.requests.length;
    const lists = sim.modelListRequests.length;
    await chat({ model: 'openai/gpt-4o-mini', messages: [{ role: 'user', content: 'who?' }] }, headers);
    await fetch(`${base}/models`, { headers });
    const recorded = [sim.requests[chats]!.headers, sim.modelListRequests[lists]!.headers];
    for (const h of recorded) {
      expect(h['x-title']).toBe('Probe');
      expect(h).not.toHaveProperty('authorization');
      expect(JSON.stringify(h)).not.toContain('sk-secret');
    }
  });

  it('drops the connection without an answer on a drop fault', async () => {
    sim.setFault('openai/gpt-4o-mini', { drop: true, times: 1 });
    const error = await chat({ model: 'openai/gpt-4o-mini', messages: [{ role: 'user', content: 'x' }] }).catch((e: Error) => e);
    expect(error).toMatchObject({ name: 'TypeError', message: 'fetch failed' });
    expect(sim.requests.at(-1)!.status).toBe(0);
    expect((await chat({ model: 'openai/gpt-4o-mini', messages: [{ role: 'user', content: 'x' }] })).status).toBe(200);
  });
});

describe('valueFromSchema', () => {
  it('satisfies enums, bounds, required objects and arrays', () => {
    const value = valueFromSchema(
      {
        type: 'object',
        properties: {
          kind: { enum: ['a', 'b'] },
          score: { type: 'integer', minimum: 0, maximum: 10 },
          tags: { type: 'array', items: { type: 'string' }, minItems: 3 },
        },
      },
      42,
    ) as { kind: string; score: number; tags: string[] };
    expect(['a', 'b']).toContain(value.kind);
    expect(value.score).toBeGreaterThanOrEqual(0);
    expect(value.score).toBeLessThanOrEqual(10);
    expect(value.tags).toHaveLength(3);
  });
});
