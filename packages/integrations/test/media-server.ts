import type http from 'node:http';
import { listenLoopback } from '@conveyor/sim';

/** A PNG's first bytes and some more: what the positive cases fetch and compare. */
export const PNG_BYTES = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.alloc(1000, 7)]);

export interface MediaServer {
  port: number;
  /** http://127.0.0.1:<port> */
  base: string;
  /** `127.0.0.1:<port>`, the allowHosts entry that lets a fetch reach it. */
  hostEntry: string;
  /** Every request received: method, path, headers. */
  requests: { path: string; headers: http.IncomingHttpHeaders }[];
  close(): Promise<void>;
}

/** Writes 64 KB chunks until the client goes away: a body with no end and no Content-Length. */
function streamForever(res: http.ServerResponse, type: string): Promise<void> {
  res.writeHead(200, { 'content-type': type });
  const chunk = Buffer.alloc(64 * 1024, 1);
  return new Promise((resolve) => {
    const write = () => {
      while (!res.destroyed && res.write(chunk));
      if (res.destroyed) resolve();
    };
    res.on('drain', write);
    res.on('close', () => resolve());
    write();
  });
}

/**
 * Serves the cases safeFetch meets, on 127.0.0.1 and an ephemeral port:
 * /image.png, /typed?type=…, /declared-huge (a Content-Length over the limit and then silence),
 * /endless (chunked, never ends), /redirect?to=…&status=…, /loop/<n>, /status/<code>,
 * /hang (never answers), /headers (the request headers as JSON), /echo (the method and body as JSON).
 */
export async function startMediaServer(): Promise<MediaServer> {
  const requests: MediaServer['requests'] = [];
  const never = new Promise<void>(() => undefined);
  const server = await listenLoopback(
    async (req, res) => {
      const url = new URL(req.url ?? '/', 'http://placeholder');
      requests.push({ path: url.pathname + url.search, headers: req.headers });
      const [, first, second] = url.pathname.split('/');
      switch (first) {
        case 'image.png':
          res.writeHead(200, { 'content-type': 'image/png', 'content-length': PNG_BYTES.length }).end(PNG_BYTES);
          return;
        case 'typed':
          res.writeHead(200, { 'content-type': url.searchParams.get('type') ?? '' }).end(PNG_BYTES);
          return;
        case 'untyped':
          res.writeHead(200).end(PNG_BYTES);
          return;
        case 'declared-huge':
          // 6.2 MB announced; one chunk sent, then nothing: only a check of the header ends this.
          res.writeHead(200, { 'content-type': 'image/png', 'content-length': Math.round(6.2 * 1024 * 1024) });
          res.write(PNG_BYTES);
          return never;
        case 'endless':
          return streamForever(res, 'image/png');
        case 'redirect':
          res.writeHead(Number(url.searchParams.get('status') ?? 302), { location: url.searchParams.get('to') ?? '' }).end();
          return;
        case 'loop':
          res.writeHead(302, { location: `/loop/${Number(second) + 1}` }).end();
          return;
        case 'status':
          res.writeHead(Number(second), { 'content-type': 'text/plain' }).end('no');
          return;
        case 'hang':
          return never;
        case 'headers':
          res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(req.headers));
          return;
        case 'echo': {
          const chunks: Buffer[] = [];
          for await (const chunk of req) chunks.push(chunk as Buffer);
          res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ method: req.method, body: Buffer.concat(chunks).toString() }));
          return;
        }
        default:
          res.writeHead(404).end();
      }
    },
    0,
    '127.0.0.1',
  );
  return {
    port: server.port,
    base: `http://127.0.0.1:${server.port}`,
    hostEntry: `127.0.0.1:${server.port}`,
    requests,
    close: server.close,
  };
}
