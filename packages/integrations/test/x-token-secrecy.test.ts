import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { XSimulator } from '@conveyor/sim';
import { ALICE, START, callAccount, closedPort, rejectionOf, withXSim, BOB } from './x-test-kit';

const x = withXSim(new XSimulator({ accounts: [ALICE, BOB], now: () => START }));
beforeAll(x.start);
afterAll(x.close);
beforeEach(x.reset);
const alice = callAccount(ALICE);

describe('the X token stays secret', () => {
  it('appears in no error, log line or metric, whatever goes wrong', async () => {
    const client = x.client();
    const impatient = x.client({ timeoutMs: 300 });
    const errors: Error[] = [];
    const fail = async (call: Promise<unknown>) => errors.push(await rejectionOf(call));

    await client.createPost(alice, { text: 'fine' });
    await fail(client.createPost(alice, { text: 'fine' }));
    await fail(client.createPost(alice, { text: 'x'.repeat(300) }));
    await fail(client.createPost({ ...alice, token: `${ALICE.token}-expired` }, { text: 'expired' }));
    for (const fault of [{ status: 500 }, { status: 429 }, { drop: 'after-accept' as const }, { drop: 'before-accept' as const }]) {
      x.sim.addFault({ ...fault, times: 1 });
      await fail(client.createPost(alice, { text: `fault ${JSON.stringify(fault)}` }));
    }
    x.sim.addFault({ delayMs: 20_000, times: 1 });
    await fail(impatient.recentPosts(alice, new Date(START)));
    await fail(client.uploadMedia(alice, { bytes: Buffer.alloc(0), mimeType: 'image/png', category: 'tweet_image' }));
    await fail(x.client({ baseUrl: `http://127.0.0.1:${await closedPort()}` }).postMetrics(alice, ['1'], true));

    expect(errors.map((e) => (e as { kind?: string }).kind)).toEqual([
      'duplicate',
      'permanent',
      'auth',
      'transient',
      'rate_limited',
      'unknown_outcome',
      'unknown_outcome',
      'transient',
      'permanent',
      'transient',
    ]);
    const everything = [
      ...errors.map((e) => `${e.message} ${e.stack ?? ''} ${JSON.stringify(e)} ${String(e.cause ?? '')}`),
      ...x.lines,
      await x.registry.metrics(),
    ].join('\n');
    // Debug and warn lines were written, and none of them, nor any error or metric, holds the token.
    expect(x.lines.some((line) => line.includes('"x api call"'))).toBe(true);
    expect(x.lines.some((line) => line.includes('"x api call failed"'))).toBe(true);
    expect(everything).not.toContain(ALICE.token);
    expect(everything).not.toMatch(/bearer/i);
  });

  it('is not sent on when an answer redirects elsewhere', async () => {
    const seen: (string | undefined)[] = [];
    const elsewhere = http.createServer((req, res) => {
      seen.push(req.headers.authorization);
      if (req.url === '/2/tweets') res.writeHead(307, { location: `http://127.0.0.1:${(elsewhere.address() as AddressInfo).port}/stolen` }).end();
      else res.writeHead(201, { 'content-type': 'application/json' }).end('{"data":{"id":"1","text":"x"}}');
    });
    await new Promise<void>((resolve) => elsewhere.listen(0, '127.0.0.1', resolve));
    try {
      const error = await rejectionOf(x.client({ baseUrl: `http://127.0.0.1:${(elsewhere.address() as AddressInfo).port}` }).createPost(alice, { text: 'hi' }));
      expect(error).toMatchObject({ kind: 'permanent', status: 307 });
      expect(seen).toEqual([`Bearer ${ALICE.token}`]);
    } finally {
      elsewhere.closeAllConnections();
      await new Promise((resolve) => elsewhere.close(resolve));
    }
  });
});
