import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** A small but well-formed PNG header and body: what the tests upload as "a good image". */
const PNG = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.alloc(2048, 7)]);

/**
 * A loopback web server standing in for where users keep their media: a good image, one over
 * X's 5 MB image limit (sent chunked, with no length announced), an HTML page posing as an
 * image, and a redirect to a private address. It counts the requests for each path.
 */
export async function startMediaOrigin(): Promise<{ base: string; host: string; hits: Map<string, number>; close: () => Promise<void> }> {
  const hits = new Map<string, number>();
  const server = http.createServer((req, res) => {
    hits.set(req.url ?? '', (hits.get(req.url ?? '') ?? 0) + 1);
    if (req.url === '/good.png') return res.writeHead(200, { 'content-type': 'image/png' }).end(PNG);
    if (req.url === '/huge.png') {
      res.writeHead(200, { 'content-type': 'image/png' });
      const chunk = Buffer.alloc(1024 * 1024, 1);
      for (let i = 0; i < 6; i++) res.write(chunk);
      return res.end();
    }
    if (req.url === '/page.png') return res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end('<html>not an image</html>');
    if (req.url === '/to-private.png') return res.writeHead(302, { location: 'http://10.1.2.3/secret.png' }).end();
    res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    base: `http://127.0.0.1:${port}`,
    host: `127.0.0.1:${port}`,
    hits,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
