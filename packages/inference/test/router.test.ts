import { PassThrough } from 'node:stream';
import { createLogger } from '@conveyor/observability';
import { LlmSimulator } from '@conveyor/sim';
import { z } from 'zod';
import { DEFAULT_PRICES, InferenceUnavailableError, buildRoutes, createInferenceRouter, parseRetryAfterMs } from '../src';

const logger = createLogger({ service: 'test', stream: new PassThrough() });
const sim = new LlmSimulator();
let baseUrl: string;
beforeAll(async () => (baseUrl = await sim.listen()));
afterAll(() => sim.close());
afterEach(() => sim.clearFaults());

// The simulator answers at once: a call's timeout is only a bound for a hang, never a race
// with a busy machine. The test of timeouts makes its own router with a short one.
const router = (timeoutMs = 60_000) => createInferenceRouter({ baseUrl, apiKey: 'sk-test', timeoutMs }, logger);
const messages = [{ role: 'user' as const, content: 'Is this post a story, a lesson or a list?' }];

describe('InferenceRouter', () => {
  it('calls the routed model with its max_tokens and temperature, and reports model, tokens and the provider cost', async () => {
    const before = sim.requests.length;
    const result = await router().complete({ task: 'classify_archetype', messages });
    expect(sim.requests[before]).toMatchObject({ model: 'anthropic/claude-3-haiku', body: { max_tokens: 200, temperature: 0.1 } });
    expect(result.model_used).toBe('anthropic/claude-3-haiku');
    expect(result.token_count).toBe(result.prompt_tokens + result.completion_tokens);
    const expected = result.prompt_tokens * 0.25e-6 + result.completion_tokens * 1.25e-6;
    expect(result.cost_usd).toBeCloseTo(expected, 12);
    expect(result.generation_id).toMatch(/^gen-/);
  });

  it('falls back to the next model on a 500 and records the model actually used', async () => {
    sim.setFault('anthropic/claude-3-haiku', { status: 500 });
    const result = await router().complete({ task: 'score_post', messages });
    expect(result.model_used).toBe('google/gemini-2.0-flash-001');
  });

  it("writes a call's fallback warning to the logger it brings (a task's, with its ids)", async () => {
    sim.setFault('anthropic/claude-3-haiku', { status: 500 });
    const stream = new PassThrough();
    const lines: Record<string, unknown>[] = [];
    stream.on('data', (chunk: Buffer) =>
      lines.push(
        ...chunk
          .toString()
          .trim()
          .split('\n')
          .map((l) => JSON.parse(l) as Record<string, unknown>),
      ),
    );
    const taskLogger = createLogger({ service: 'test', stream }).child({ task_id: 'task-1' });
    await router().complete({ task: 'score_post', messages, logger: taskLogger });
    await new Promise((r) => setImmediate(r));
    expect(lines).toEqual([
      expect.objectContaining({
        message: 'model call failed; trying the next in the chain',
        task_id: 'task-1',
        model: 'anthropic/claude-3-haiku',
        status: 500,
      }),
    ]);
  });

  it('falls back on 429 and a timeout; when the chain is spent it asks to retry after the Retry-After', async () => {
    sim.setFault('anthropic/claude-3-haiku', { status: 429, retryAfterSeconds: 7 });
    // A minute's delay against a 2 s timeout: it times out however slow the machine (and the
    // simulator stops waiting once the client has gone).
    sim.setFault('google/gemini-2.0-flash-001', { delayMs: 60_000 });
    const error = await router(2000)
      .complete({ task: 'score_post', messages })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InferenceUnavailableError);
    expect((error as InferenceUnavailableError).retryAfterMs).toBe(7000);
  });

  it('leaves the delay to the task backoff when no model sent a Retry-After (never a retry at once)', async () => {
    sim.setFault('*', { status: 503 });
    const error = await router()
      .complete({ task: 'score_post', messages })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InferenceUnavailableError);
    expect((error as InferenceUnavailableError).retryAfterMs).toBeUndefined();
  });

  it('reads a Retry-After given as an HTTP-date', async () => {
    sim.setFault('*', { status: 429, retryAfter: new Date(Date.now() + 120_000).toUTCString() });
    const error = (await router()
      .complete({ task: 'score_post', messages })
      .catch((e: unknown) => e)) as InferenceUnavailableError;
    expect(error.retryAfterMs).toBeGreaterThan(100_000);
    expect(error.retryAfterMs).toBeLessThanOrEqual(120_000);
  });

  it('parses Retry-After values: seconds, dates, and nothing for junk', () => {
    const now = Date.parse('2026-11-26T12:00:00Z');
    expect(parseRetryAfterMs('30', now)).toBe(30_000);
    expect(parseRetryAfterMs('0.5', now)).toBe(500);
    expect(parseRetryAfterMs('Thu, 26 Nov 2026 12:01:00 GMT', now)).toBe(60_000);
    expect(parseRetryAfterMs('Thu, 26 Nov 2026 11:00:00 GMT', now)).toBe(0);
    for (const junk of [null, undefined, '', 'soon', '-5']) expect(parseRetryAfterMs(junk, now)).toBeUndefined();
  });

  it('never falls back on a 400 or 401: those fail the task for good', async () => {
    for (const status of [400, 401]) {
      sim.setFault('anthropic/claude-3-haiku', { status, times: 1 });
      const before = sim.requests.length;
      const error = await router()
        .complete({ task: 'score_post', messages })
        .catch((e: unknown) => e);
      expect(error).toMatchObject({ name: 'PermanentError', code: `PROVIDER_${status}` });
      // The provider's own error stays reachable for whoever logs or inspects the failure.
      expect((error as Error).cause).toMatchObject({ status });
      expect(sim.requests.length - before).toBe(1);
    }
  });

  it('prices tokens from the table when the response carries no cost', async () => {
    sim.setFault('*', { omitCost: true });
    const result = await router().complete({ task: 'generate_draft', messages });
    expect(result.cost_usd).toBeCloseTo((result.prompt_tokens * 3 + result.completion_tokens * 15) / 1e6, 12);
  });

  it('returns validated JSON for a schema, and repairs an invalid answer once', async () => {
    const schema = z.object({ archetype: z.enum(['story', 'lesson', 'list']), confidence: z.number().min(0).max(1) });
    const ok = await router().complete({ task: 'classify_archetype', messages, schema });
    expect(schema.parse(ok.data)).toEqual(ok.data);
    sim.setFault('anthropic/claude-3-haiku', { invalidJson: true, times: 1 });
    const before = sim.requests.length;
    const repaired = await router().complete({ task: 'classify_archetype', messages, schema });
    expect(sim.requests.length - before).toBe(2);
    expect(schema.safeParse(repaired.data).success).toBe(true);
    expect(repaired.generation_id.split(',')).toHaveLength(2);
    sim.setFault('anthropic/claude-3-haiku', { invalidJson: true, times: 2 });
    await expect(router().complete({ task: 'classify_archetype', messages, schema })).rejects.toThrow(/invalid after one repair/);
  });

  it('computes the worst case at the dearest model of the chain', () => {
    const r = router();
    const worst = r.worstCaseCostUsd('generate_draft', messages);
    expect(worst).toBeCloseTo((Math.ceil((messages[0]!.content.length + 8) / 4) * 3 + 2000 * 15) / 1e6, 12);
  });

  it('checks routed models against the provider list at start-up', async () => {
    expect(await router().verifyModels()).toBe(true);
    const gone = createInferenceRouter(
      {
        baseUrl,
        apiKey: 'k',
        timeoutMs: 60_000,
        routeOverrides: { score_post: { model: 'vendor/retired-model' } },
        priceOverrides: { 'vendor/retired-model': { prompt: 1, completion: 1 } },
      },
      logger,
    );
    await expect(gone.verifyModels()).rejects.toThrow(/vendor\/retired-model/);
  });
});

describe('buildRoutes', () => {
  it('refuses cycles, long chains and unpriced models', () => {
    expect(() => buildRoutes({ score_post: { fallbacks: ['anthropic/claude-3-haiku'] } })).toThrow(/appears twice/);
    expect(() =>
      buildRoutes(
        { score_post: { fallbacks: ['openai/gpt-4o-mini', 'google/gemini-2.0-flash-001', 'anthropic/claude-sonnet-4', 'x/y'] } },
        { ...DEFAULT_PRICES, 'x/y': { prompt: 1, completion: 1 } },
      ),
    ).toThrow(/at most 4/);
    expect(() => buildRoutes({ score_post: { fallbacks: ['vendor/free-lunch'] } })).toThrow(/no price for vendor\/free-lunch/);
    expect(buildRoutes({ score_post: { maxTokens: 50 } }).score_post).toMatchObject({ model: 'anthropic/claude-3-haiku', maxTokens: 50 });
  });
});
