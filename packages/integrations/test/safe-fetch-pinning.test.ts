import { FetchRefusedError, safeFetch, UnsafeUrlError, type HostResolver } from '../src';
import { pinnedLookup } from '../src/fetch/pinned-lookup';
import { checkedAddresses } from '../src/fetch/resolve-host';
import { PNG_BYTES, startMediaServer, type MediaServer } from './media-server';

// DNS rebinding: a name answers a harmless address when checked and a private one when the
// client connects. The resolver seam stands in for DNS; connections stay on 127.0.0.0/8.

let server: MediaServer;
beforeAll(async () => {
  server = await startMediaServer();
});
afterAll(() => server.close());

/** A resolver that gives each call the next answer in turn (the last one again once they run out), and counts the calls. */
function rebindingResolver(...answers: string[][]): HostResolver & { calls: string[] } {
  const calls: string[] = [];
  const resolve = async (hostname: string) => {
    calls.push(hostname);
    const answer = answers[Math.min(calls.length - 1, answers.length - 1)]!;
    return answer.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
  };
  return Object.assign(resolve, { calls });
}

describe('the connection goes only to the checked address', () => {
  it('asks DNS once per hop and connects to that answer, not a later one; Host stays the name', async () => {
    // 127.0.0.2 is loopback with nothing listening: a connection that asked again would be refused there.
    const resolve = rebindingResolver(['127.0.0.1'], ['127.0.0.2']);
    const entry = `cdn.test:${server.port}`;
    const result = await safeFetch(`http://${entry}/headers`, { maxBytes: 4096, allowHosts: [entry], resolve });
    expect(resolve.calls).toEqual(['cdn.test']);
    expect(JSON.parse(result.bytes.toString())).toMatchObject({ host: entry });
  });

  it('re-resolves and re-checks the host of each redirect', async () => {
    const resolve = rebindingResolver(['127.0.0.1']);
    const entry = `cdn.test:${server.port}`;
    const result = await safeFetch(`http://${entry}/redirect?to=${encodeURIComponent(`http://${entry}/image.png`)}`, {
      maxBytes: 4096,
      allowHosts: [entry],
      resolve,
    });
    expect(result.bytes.equals(PNG_BYTES)).toBe(true);
    expect(resolve.calls).toEqual(['cdn.test', 'cdn.test']);
  });

  it('refuses a name when any of its addresses is private, whatever comes first', async () => {
    const resolve = rebindingResolver(['93.184.216.34', '10.0.0.7']);
    const error = await safeFetch('http://media.example/a.png', { maxBytes: 4096, resolve }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UnsafeUrlError);
    expect(error).toMatchObject({ reason: 'private_address', message: 'http://media.example/a.png resolves to a private address 10.0.0.7' });
  });

  it('refuses a redirect to a name that resolves privately', async () => {
    const resolve = rebindingResolver(['10.9.9.9']);
    const error = await safeFetch(`${server.base}/redirect?to=${encodeURIComponent('http://internal.example/')}`, {
      maxBytes: 4096,
      allowHosts: [server.hostEntry],
      resolve,
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UnsafeUrlError);
    expect(error).toMatchObject({ message: expect.stringMatching(/refused: http:\/\/internal\.example\/ resolves to a private address 10\.9\.9\.9$/) });
  });

  it('reports a name that does not resolve as a permanent dns failure', async () => {
    const resolve: HostResolver = () => Promise.reject(Object.assign(new Error('getaddrinfo ENOTFOUND nowhere.example'), { code: 'ENOTFOUND' }));
    const error = await safeFetch('http://nowhere.example/a.png', { maxBytes: 4096, resolve }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(FetchRefusedError);
    expect(error).toMatchObject({ reason: 'dns', permanent: true });
  });
});

describe("the caller's headers", () => {
  const headersAfterRedirect = async (to: string) => {
    const resolve = rebindingResolver(['127.0.0.1']);
    const allowHosts = [server.hostEntry, `cdn.test:${server.port}`];
    const result = await safeFetch(`${server.base}/redirect?to=${encodeURIComponent(to)}`, {
      maxBytes: 4096,
      allowHosts,
      resolve,
      headers: { authorization: 'Bearer t0ken' },
    });
    return JSON.parse(result.bytes.toString()) as Record<string, string>;
  };

  it('follow a redirect within the origin', async () => {
    expect((await headersAfterRedirect('/headers')).authorization).toBe('Bearer t0ken');
  });

  it('stay behind when a redirect leaves the origin', async () => {
    expect(await headersAfterRedirect(`http://cdn.test:${server.port}/headers`)).not.toHaveProperty('authorization');
  });
});

describe('pinnedLookup', () => {
  type Answer = { error: NodeJS.ErrnoException | null; address: unknown; family?: number };
  const ask = (lookup: ReturnType<typeof pinnedLookup>, hostname: string, options: Parameters<ReturnType<typeof pinnedLookup>>[1]) =>
    new Promise<Answer>((resolve) => lookup(hostname, options, (error, address, family) => resolve({ error, address, family })));

  it('answers any name with the checked public address only, one at a time or all at once', async () => {
    const addresses = await checkedAddresses(
      new URL('http://media.example/'),
      false,
      rebindingResolver(['93.184.216.34'], ['127.0.0.1']),
      new AbortController().signal,
    );
    const lookup = pinnedLookup(addresses);
    expect(await ask(lookup, 'media.example', {})).toEqual({ error: null, address: '93.184.216.34', family: 4 });
    expect(await ask(lookup, 'media.example', { all: true })).toEqual({ error: null, address: [{ address: '93.184.216.34', family: 4 }], family: undefined });
    expect(await ask(lookup, 'other.example', { family: 4 })).toEqual({ error: null, address: '93.184.216.34', family: 4 });
  });

  it('gives no address rather than an unchecked one for a family it has none of', async () => {
    const lookup = pinnedLookup([{ address: '93.184.216.34', family: 4 }]);
    const answer = await ask(lookup, 'media.example', { family: 6 });
    expect(answer.error?.code).toBe('ENOTFOUND');
  });
});
