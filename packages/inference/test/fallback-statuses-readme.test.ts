import fs from 'node:fs';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { createLogger } from '@conveyor/observability';
import { LlmSimulator } from '@conveyor/sim';
import { FALLBACK_STATUSES, createInferenceRouter } from '../src';

// Both READMEs say which provider answers make the router try the next model of a chain. The
// statuses they list are read from their sentence and run through the simulator: each listed
// one (and every 5xx) must fall back, every other 4xx must fail at once, after one call.
const PHRASE = /along the chain when a model answers (.+?) or any 5xx, times out or loses its connection/;

/** The statuses a README lists before "or any 5xx" (throws when the sentence is gone). */
function listedStatuses(file: string): number[] {
  const text = fs.readFileSync(path.resolve(__dirname, file), 'utf8').replace(/\s+/g, ' ');
  const sentence = PHRASE.exec(text);
  if (!sentence) throw new Error(`${file} no longer says "${PHRASE.source}"; keep the fallback sentence and this test in step`);
  return [...sentence[1]!.matchAll(/\b\d{3}\b/g)].map((m) => Number(m[0]));
}

const logger = createLogger({ service: 'test', stream: new PassThrough() });
const sim = new LlmSimulator();
let baseUrl: string;
beforeAll(async () => (baseUrl = await sim.listen()));
afterAll(() => sim.close());

const FIRST = 'anthropic/claude-3-haiku';
const NEXT = 'google/gemini-2.0-flash-001';
const messages = [{ role: 'user' as const, content: 'Score this post.' }];
const router = (timeoutMs = 60_000) => createInferenceRouter({ baseUrl, apiKey: 'sk-test', timeoutMs }, logger);

/**
 * What came of a call whose first model answered with this fault (once, or every time with
 * `always`): the model whose answer it returned, or its error, and the models it asked.
 */
async function outcomeAfter(
  fault: Parameters<LlmSimulator['setFault']>[1],
  { timeoutMs, always = false }: { timeoutMs?: number; always?: boolean } = {},
): Promise<{ model?: string; error?: unknown; asked: string[] }> {
  sim.setFault(FIRST, always ? fault : { ...fault, times: 1 });
  const before = sim.requests.length;
  const asked = () => sim.requests.slice(before).map((r) => r.model);
  try {
    const result = await router(timeoutMs).complete({ task: 'score_post', messages });
    return { model: result.model_used, asked: asked() };
  } catch (error) {
    return { error, asked: asked() };
  } finally {
    sim.clearFaults();
  }
}

const READMES = ['../../../README.md', '../README.md'];

/**
 * Node's fetch turns a 407 (proxy authentication required) into a network error, as the Fetch
 * standard says, so the SDK never sees the status: it falls back like a lost connection, and
 * the root README says so.
 */
const SEEN_AS_LOST_CONNECTION = 407;

describe.each(READMES)('the fallback statuses %s lists', (file) => {
  const listed = listedStatuses(file);

  it('are the router’s own list', () => {
    expect(listed).toEqual([...FALLBACK_STATUSES]);
  });

  it('each move the call on to the next model, as does every 5xx', async () => {
    const models: Record<number, string | undefined> = {};
    for (const status of [...listed, ...Array.from({ length: 100 }, (_, i) => 500 + i)]) models[status] = (await outcomeAfter({ status })).model;
    expect(new Set(Object.values(models))).toEqual(new Set([NEXT]));
  });

  it('are the only 4xx that do: every other one fails the task at once, never asking the next model', async () => {
    for (let status = 400; status < 500; status += 1) {
      if (listed.includes(status) || status === SEEN_AS_LOST_CONNECTION) continue;
      // Every time: Node's fetch itself sends a request again once after a 421 (Misdirected Request).
      const { error, asked } = await outcomeAfter({ status }, { always: true });
      expect([status, new Set(asked), error]).toEqual([
        status,
        new Set([FIRST]),
        expect.objectContaining({ name: 'PermanentError', code: `PROVIDER_${status}` }),
      ]);
    }
  });
});

describe('the other fallbacks the READMEs name', () => {
  it('a lost connection moves the call on to the next model, and so does a 407', async () => {
    expect(await outcomeAfter({ drop: true })).toEqual({ model: NEXT, asked: [FIRST, NEXT] });
    expect(await outcomeAfter({ status: SEEN_AS_LOST_CONNECTION })).toEqual({ model: NEXT, asked: [FIRST, NEXT] });
    expect(fs.readFileSync(path.resolve(__dirname, READMES[0]!), 'utf8').replace(/\s+/g, ' ')).toContain('a 407 as a lost connection');
  });

  it('a timeout moves the call on to the next model', async () => {
    // A minute's delay against a 3 s timeout: it times out however slow the machine.
    expect(await outcomeAfter({ delayMs: 60_000 }, { timeoutMs: 3000 })).toEqual({ model: NEXT, asked: [FIRST, NEXT] });
  });
});
