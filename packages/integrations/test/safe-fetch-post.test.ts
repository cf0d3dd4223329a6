import { FetchRefusedError, UnsafeUrlError, checkFetchableUrl, safeFetch } from '../src';
import { startMediaServer, type MediaServer } from './media-server';

let server: MediaServer;
beforeAll(async () => {
  server = await startMediaServer();
});
afterAll(() => server.close());

const post = (path: string, body: string) =>
  safeFetch(`${server.base}${path}`, { maxBytes: 1024, allowHosts: [server.hostEntry], method: 'POST', body, maxRedirects: 5 });

describe('safeFetch POST (a webhook)', () => {
  it('sends the method and the body', async () => {
    const result = await post('/echo', '{"a":1}');
    expect(JSON.parse(result.bytes.toString())).toEqual({ method: 'POST', body: '{"a":1}' });
  });

  it('follows no redirect, whatever maxRedirects says', async () => {
    const echoes = () => server.requests.filter((r) => r.path === '/echo').length;
    const before = echoes();
    const error = await post(`/redirect?status=307&to=${encodeURIComponent('/echo')}`, 'x').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(FetchRefusedError);
    expect((error as FetchRefusedError).reason).toBe('too_many_redirects');
    expect(echoes()).toBe(before);
  });

  it('is refused for a private address before anything is sent', async () => {
    const before = server.requests.length;
    const error = await safeFetch(`${server.base}/echo`, { maxBytes: 1024, method: 'POST', body: 'x' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UnsafeUrlError);
    expect(server.requests).toHaveLength(before);
  });
});

describe('checkFetchableUrl', () => {
  it('passes a public address and an allowed host, and refuses private, metadata and malformed URLs', async () => {
    const publicAnswer = async () => [{ address: '93.184.215.14', family: 4 }];
    await expect(checkFetchableUrl('https://hooks.example.com/x', { resolve: publicAnswer })).resolves.toBeUndefined();
    await expect(checkFetchableUrl(`${server.base}/x`, { allowHosts: [server.hostEntry] })).resolves.toBeUndefined();
    await expect(checkFetchableUrl(`${server.base}/x`)).rejects.toThrow(/resolves to .*loopback/);
    await expect(checkFetchableUrl('https://hooks.example.com/x', { resolve: async () => [{ address: '192.168.1.2', family: 4 }] })).rejects.toThrow(/private/);
    await expect(checkFetchableUrl('http://169.254.169.254/', { allowHosts: ['169.254.169.254'] })).rejects.toThrow(/metadata/);
    await expect(checkFetchableUrl('ftp://example.com/')).rejects.toThrow(/scheme ftp: is not allowed/);
    await expect(
      checkFetchableUrl('https://hooks.example.com/x', { resolve: async () => Promise.reject(Object.assign(new Error('no'), { code: 'ENOTFOUND' })) }),
    ).rejects.toThrow(/does not resolve \(ENOTFOUND\)/);
  });
});
