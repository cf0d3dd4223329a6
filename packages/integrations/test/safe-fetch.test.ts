import { Registry } from 'prom-client';
import { FetchRefusedError, registerFetchMetrics, safeFetch, UnsafeUrlError } from '../src';
import { PNG_BYTES, startMediaServer, type MediaServer } from './media-server';

const MB = 1024 * 1024;
const IMAGE_TYPES = ['image/jpeg', 'image/png', 'image/webp'];

let server: MediaServer;
beforeAll(async () => {
  server = await startMediaServer();
});
afterAll(() => server.close());

/** safeFetch against the local server, which the allowlist lets it reach. */
function fetchLocal(path: string, options: Partial<Parameters<typeof safeFetch>[1]> = {}) {
  return safeFetch(`${server.base}${path}`, { maxBytes: 5 * MB, allowHosts: [server.hostEntry], ...options });
}

function failureOf(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => {
      throw new Error('expected the fetch to be refused');
    },
    (error: unknown) => error,
  );
}

describe('safeFetch of an allowed host', () => {
  it('returns the body, its media type and the URL it came from', async () => {
    const result = await fetchLocal('/image.png', { allowedTypes: IMAGE_TYPES });
    expect(result.bytes.equals(PNG_BYTES)).toBe(true);
    expect(result.contentType).toBe('image/png');
    expect(result.finalUrl).toBe(`${server.base}/image.png`);
  });

  it('ignores Content-Type parameters and case', async () => {
    const result = await fetchLocal(`/typed?type=${encodeURIComponent('Image/PNG; charset=binary')}`, { allowedTypes: IMAGE_TYPES });
    expect(result.contentType).toBe('image/png');
  });

  it('follows a redirect within allowed hosts and reports where it ended', async () => {
    const result = await fetchLocal(`/redirect?status=301&to=${encodeURIComponent('/image.png')}`);
    expect(result.finalUrl).toBe(`${server.base}/image.png`);
    expect(result.bytes.equals(PNG_BYTES)).toBe(true);
  });

  it('sends accepted types as Accept and the caller headers', async () => {
    const result = await fetchLocal('/headers', { headers: { 'x-trace': 'abc' }, allowedTypes: ['application/json'] });
    expect(JSON.parse(result.bytes.toString())).toMatchObject({ accept: 'application/json', 'x-trace': 'abc' });
  });
});

describe('safeFetch refuses an answer it cannot use', () => {
  it('refuses by Content-Length before reading the body', async () => {
    const error = await failureOf(fetchLocal('/declared-huge', { what: 'image', timeoutMs: 20_000 }));
    expect(error).toBeInstanceOf(FetchRefusedError);
    expect(error).toMatchObject({ reason: 'too_large', permanent: true, message: `${server.base}/declared-huge is 6.2 MB; at most 5 MB allowed for image` });
  });

  it('stops a body without Content-Length once it passes maxBytes', async () => {
    const error = await failureOf(fetchLocal('/endless', { maxBytes: 300 * 1024, what: 'image', timeoutMs: 20_000 }));
    expect(error).toBeInstanceOf(FetchRefusedError);
    expect(error).toMatchObject({
      reason: 'too_large',
      permanent: true,
      message: `${server.base}/endless is more than 300 KB; at most 300 KB allowed for image`,
    });
  });

  it('refuses a media type not in allowedTypes', async () => {
    const error = await failureOf(fetchLocal(`/typed?type=${encodeURIComponent('text/html; charset=utf-8')}`, { allowedTypes: IMAGE_TYPES }));
    expect(error).toBeInstanceOf(FetchRefusedError);
    expect(error).toMatchObject({
      reason: 'content_type',
      permanent: true,
      message: `${server.base}/typed?… is text/html; expected one of image/jpeg, image/png, image/webp`,
    });
  });

  it('refuses an answer without Content-Type when types are required', async () => {
    const error = await failureOf(fetchLocal('/untyped', { allowedTypes: IMAGE_TYPES }));
    expect(error).toMatchObject({ reason: 'content_type', message: expect.stringContaining('no Content-Type') });
  });

  it.each([
    [404, true],
    [410, true],
    [429, false],
    [500, false],
    [503, false],
  ])('treats status %p as permanent=%p', async (status, permanent) => {
    const error = await failureOf(fetchLocal(`/status/${status}`));
    expect(error).toBeInstanceOf(FetchRefusedError);
    expect(error).toMatchObject({ reason: 'status', status, permanent, message: `${server.base}/status/${status} answered ${status}` });
  });

  it('refuses a redirect without a Location', async () => {
    const error = await failureOf(fetchLocal('/redirect?status=302'));
    expect(error).toMatchObject({ reason: 'status', permanent: true, message: expect.stringContaining('without a Location') });
  });

  it('gives up after maxRedirects, permanently', async () => {
    const before = server.requests.filter((r) => r.path.startsWith('/loop/')).length;
    const error = await failureOf(fetchLocal('/loop/0', { maxRedirects: 3 }));
    expect(error).toBeInstanceOf(FetchRefusedError);
    expect(error).toMatchObject({ reason: 'too_many_redirects', permanent: true, message: `${server.base}/loop/0 redirects more than 3 times` });
    expect(server.requests.filter((r) => r.path.startsWith('/loop/')).length - before).toBe(4);
  });
});

describe('safeFetch when no answer comes', () => {
  it('turns its time limit into a transient timeout', async () => {
    const error = await failureOf(fetchLocal('/hang', { timeoutMs: 300 }));
    expect(error).toBeInstanceOf(FetchRefusedError);
    expect(error).toMatchObject({ reason: 'timeout', permanent: false });
  });

  it("rejects with the caller's abort reason, not as a fetch failure", async () => {
    const controller = new AbortController();
    const pending = failureOf(fetchLocal('/hang', { signal: controller.signal }));
    const reason = new Error('task revoked');
    // Abort once the server has the request, so the abort cuts a request in flight.
    const hangs = () => server.requests.filter((r) => r.path === '/hang').length;
    const seen = hangs();
    const waitForRequest = async (): Promise<void> => {
      while (hangs() === seen) await new Promise((resolve) => setImmediate(resolve));
    };
    await waitForRequest();
    controller.abort(reason);
    expect(await pending).toBe(reason);
  });

  it('reports a refused connection as transient', async () => {
    const closed = await startMediaServer();
    await closed.close();
    const error = await failureOf(safeFetch(`${closed.base}/image.png`, { maxBytes: MB, allowHosts: [closed.hostEntry] }));
    expect(error).toBeInstanceOf(FetchRefusedError);
    expect(error).toMatchObject({ reason: 'network', permanent: false, message: expect.stringContaining('ECONNREFUSED') });
  });
});

describe('conveyor_fetch_refused_total', () => {
  it('counts each refusal by reason in the registries it was added to', async () => {
    const registry = new Registry();
    registerFetchMetrics(registry);
    registerFetchMetrics(registry);
    const count = async (reason: string) => {
      const metric = await registry.getSingleMetric('conveyor_fetch_refused_total')!.get();
      return metric.values.find((v) => v.labels.reason === reason)?.value ?? 0;
    };
    const [privateBefore, statusBefore] = [await count('private_address'), await count('status')];
    await expect(safeFetch('http://10.0.0.1/a.png', { maxBytes: MB })).rejects.toBeInstanceOf(UnsafeUrlError);
    await expect(fetchLocal('/status/404')).rejects.toBeInstanceOf(FetchRefusedError);
    expect(await count('private_address')).toBe(privateBefore + 1);
    expect(await count('status')).toBe(statusBefore + 1);
  });
});
