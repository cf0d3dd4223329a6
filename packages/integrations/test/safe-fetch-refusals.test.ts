import { safeFetch, UnsafeUrlError, type SafeFetchOptions } from '../src';
import { startMediaServer, type MediaServer } from './media-server';

// Every URL here is refused before a connection is made: nothing leaves 127.0.0.1, and the
// local server (the one host these tests allow) shows which requests did reach it.

let server: MediaServer;
beforeAll(async () => {
  server = await startMediaServer();
});
afterAll(() => server.close());

async function refusal(url: string, options: Partial<SafeFetchOptions> = {}): Promise<UnsafeUrlError> {
  const error = await safeFetch(url, { maxBytes: 1024 * 1024, timeoutMs: 10_000, ...options }).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(UnsafeUrlError);
  const unsafe = error as UnsafeUrlError;
  expect(unsafe.code).toBe('URL_NOT_ALLOWED');
  expect(unsafe.permanent).toBe(true);
  return unsafe;
}

describe('schemes and credentials', () => {
  it.each([
    ['ftp://127.0.0.1/file.png', 'ftp:'],
    ['file:///etc/passwd', 'file:'],
    ['data:image/png;base64,iVBORw0KGgo=', 'data:'],
    ['gopher://127.0.0.1:6379/_INFO', 'gopher:'],
  ])('refuses %s', async (url, scheme) => {
    const error = await refusal(url);
    expect(error.reason).toBe('scheme');
    expect(error.message).toBe(`scheme ${scheme} is not allowed (only http: and https:)`);
  });

  it('refuses credentials in the URL without repeating them', async () => {
    const error = await refusal(`http://user:hunter2@${server.hostEntry}/image.png`, { allowHosts: [server.hostEntry] });
    expect(error.reason).toBe('credentials');
    expect(error.message).not.toContain('hunter2');
  });

  it('refuses what is not a URL', async () => {
    expect((await refusal('not a url')).reason).toBe('invalid_url');
  });
});

describe('private, loopback and metadata addresses', () => {
  it.each([
    ['http://127.0.0.1:PORT/image.png', 'resolves to a loopback address 127.0.0.1'],
    ['http://localhost:PORT/image.png', 'resolves to a loopback address'],
    ['http://[::1]:PORT/image.png', 'resolves to a loopback address ::1'],
    ['http://10.0.0.1/image.png', 'resolves to a private address 10.0.0.1'],
    ['http://192.168.1.10/', 'resolves to a private address 192.168.1.10'],
    ['http://100.64.0.1/', 'resolves to a carrier-grade NAT address 100.64.0.1'],
    ['http://0.0.0.0:PORT/', 'resolves to an unspecified address 0.0.0.0'],
    ['http://[fd12::1]/', 'resolves to a unique-local address fd12::1'],
    ['http://0x7f.1:PORT/image.png', 'resolves to a loopback address 127.0.0.1'],
    ['http://2130706433:PORT/image.png', 'resolves to a loopback address 127.0.0.1'],
    ['http://017700000001:PORT/image.png', 'resolves to a loopback address 127.0.0.1'],
    ['http://[::ffff:127.0.0.1]:PORT/image.png', 'resolves to a loopback address ::ffff:7f00:1 (carries IPv4 127.0.0.1, as ipv4Mapped)'],
    ['http://[2002:7f00:1::]:PORT/', 'resolves to a loopback address 2002:7f00:1:: (carries IPv4 127.0.0.1, as 6to4)'],
  ])('refuses %s', async (template, phrase) => {
    const before = server.requests.length;
    const error = await refusal(template.replace('PORT', String(server.port)));
    expect(error.reason).toBe('private_address');
    expect(error.message).toContain(phrase);
    expect(server.requests.length).toBe(before);
  });

  it.each([
    'http://169.254.169.254/latest/meta-data/',
    'http://[fd00:ec2::254]/latest/meta-data/',
    'http://[::ffff:169.254.169.254]/',
    'http://metadata.google.internal/computeMetadata/v1/',
    'http://METADATA.google.internal./',
  ])('refuses the cloud metadata service at %s, even when allowed by name', async (url) => {
    const host = new URL(url).host;
    const error = await refusal(url, { allowHosts: [host] });
    expect(error.reason).toBe('metadata');
    expect(error.message).toMatch(/cloud metadata/);
  });

  it('keeps the query string, where signed URLs keep their token, out of the message', async () => {
    const error = await refusal('http://10.0.0.1/a.png?X-Amz-Signature=secret-signature');
    expect(error.message).toBe('http://10.0.0.1/a.png?… resolves to a private address 10.0.0.1');
  });

  it('exempts an allowed host only on the port its entry names', async () => {
    const otherPort = server.port === 65535 ? 65534 : server.port + 1;
    expect((await refusal(`${server.base}/image.png`, { allowHosts: [`127.0.0.1:${otherPort}`] })).reason).toBe('private_address');
    expect((await refusal(`${server.base}/image.png`, { allowHosts: ['127.0.0.1'] })).reason).toBe('private_address');
  });
});

describe('redirects are checked like the first URL', () => {
  const redirect = (to: string) => `${server.base}/redirect?to=${encodeURIComponent(to)}`;

  it.each([
    ['http://127.0.0.2/image.png', 'resolves to a loopback address 127.0.0.2', 'private_address'],
    ['http://10.1.2.3/image.png', 'resolves to a private address 10.1.2.3', 'private_address'],
    ['http://169.254.169.254/latest/meta-data/', 'resolves to the cloud metadata address 169.254.169.254', 'metadata'],
    ['ftp://127.0.0.1/image.png', 'scheme ftp: is not allowed', 'scheme'],
    ['http://user:pw@127.0.0.1/', 'carries credentials', 'credentials'],
  ])('refuses a redirect to %s', async (to, phrase, reason) => {
    const error = await refusal(redirect(to), { allowHosts: [server.hostEntry] });
    expect(error.reason).toBe(reason);
    expect(error.message).toMatch(new RegExp(`^redirect from ${server.base}/redirect\\?… refused: `));
    expect(error.message).toContain(phrase);
  });

  it('does not let an allowed host redirect to another port of the same address', async () => {
    const error = await refusal(redirect('http://127.0.0.1:1/'), { allowHosts: [server.hostEntry] });
    expect(error.message).toContain('refused: http://127.0.0.1:1/ resolves to a loopback address 127.0.0.1');
  });
});
