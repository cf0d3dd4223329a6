import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { type Server, request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Harness, startHarness } from './helpers';

// The API serves the console's built files at /console (CONSOLE_DIST): a stand-in build made
// here, since apps/console builds separately.

const INDEX = '<!doctype html><title>Conveyor console</title><script type="module" src="/console/assets/app-3f9a1c.js"></script>';
const SCRIPT = 'console.log("the console");';
const SECRET = 'not-for-the-web';

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

describe('the console at /console', () => {
  let h: Harness;
  let root: string;
  let dist: string;
  let server: Server;
  /** A request sent as written: no client normalises its path (dot segments, escapes). */
  const send = (method: string, path: string): Promise<Answer> =>
    new Promise((resolve, reject) => {
      const req = httpRequest({ host: '127.0.0.1', port: (server.address() as AddressInfo).port, method, path }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (body += chunk));
        res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body }));
      });
      req.on('error', reject);
      req.end();
    });
  const get = (path: string) => send('GET', path);

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'console-files-'));
    dist = join(root, 'dist');
    await mkdir(dist);
    // Files beside the build that must never be served.
    await writeFile(join(root, 'secret.txt'), SECRET);
    await writeFile(join(root, 'package.json'), JSON.stringify({ name: SECRET }));
    h = await startHarness({ env: { CONSOLE_DIST: dist } });
    server = h.app.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
  });
  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
    await h.close();
    await rm(root, { recursive: true, force: true });
  });

  it('answers 503 with what to do while the console is not built', async () => {
    for (const path of ['/console', '/console/', '/console/runs', '/console/assets/app-3f9a1c.js']) {
      const res = await get(path);
      expect([path, res.status]).toEqual([path, 503]);
      expect(JSON.parse(res.body)).toMatchObject({ error: 'console_not_built', message: expect.stringContaining('CONSOLE_DIST') });
    }
  });

  describe('once built', () => {
    beforeAll(async () => {
      await mkdir(join(dist, 'assets'));
      await writeFile(join(dist, 'index.html'), INDEX);
      await writeFile(join(dist, 'assets', 'app-3f9a1c.js'), SCRIPT);
      await writeFile(join(dist, 'favicon.svg'), '<svg xmlns="http://www.w3.org/2000/svg"/>');
      await writeFile(join(dist, '.env'), SECRET);
    });

    it('serves index.html, never cached, under a CSP that allows only this server', async () => {
      const res = await get('/console');
      expect(res.status).toBe(200);
      expect(res.body).toBe(INDEX);
      expect(res.headers['content-type']).toMatch(/^text\/html/);
      expect(res.headers['cache-control']).toBe('no-cache');
      const csp = String(res.headers['content-security-policy']);
      for (const directive of [
        "default-src 'self'",
        "connect-src 'self'",
        "img-src 'self' data:",
        "style-src 'self' 'unsafe-inline'",
        "script-src 'self'",
        "frame-ancestors 'none'",
      ]) {
        expect(csp).toContain(directive);
      }
      expect(csp).not.toContain("'unsafe-eval'");
      expect(res.headers['x-frame-options']).toBe('DENY');
      expect(res.headers['x-content-type-options']).toBe('nosniff');
    });

    it('answers index.html for every path the app routes, query strings included (none is refused)', async () => {
      for (const path of [
        '/console/',
        '/console/runs',
        '/console/runs/4b1c2d/logs?status=FAILURE&x=1',
        '/console/spend?group_by=model',
        '/console/index.html',
      ]) {
        const res = await get(path);
        expect([path, res.status, res.body]).toEqual([path, 200, INDEX]);
        expect(res.headers['cache-control']).toBe('no-cache');
      }
      const head = await send('HEAD', '/console/queues');
      expect([head.status, head.body, head.headers['content-type']]).toEqual([200, '', expect.stringMatching(/^text\/html/)]);
    });

    it('serves hashed assets for a year (immutable), other files revalidated, a missing asset as 404 (never HTML)', async () => {
      const asset = await get('/console/assets/app-3f9a1c.js');
      expect([asset.status, asset.body]).toEqual([200, SCRIPT]);
      expect(asset.headers['content-type']).toMatch(/javascript/);
      expect(asset.headers['cache-control']).toBe('public, max-age=31536000, immutable');
      const icon = await get('/console/favicon.svg');
      expect([icon.status, icon.headers['cache-control']]).toEqual([200, 'no-cache']);
      const missing = await get('/console/assets/app-000000.js');
      expect([missing.status, JSON.parse(missing.body).error]).toEqual([404, 'not_found']);
    });

    it('answers 405 with Allow to other methods', async () => {
      for (const method of ['POST', 'PUT', 'DELETE', 'PATCH']) {
        const res = await send(method, '/console/runs');
        expect([method, res.status, res.headers.allow]).toEqual([method, 405, 'GET, HEAD']);
      }
    });

    it('never serves a file outside the build, however the path is spelled, nor a dotfile', async () => {
      const attempts = [
        '/console/../secret.txt',
        '/console/../package.json',
        '/console/%2e%2e/secret.txt',
        '/console/%2E%2E/package.json',
        '/console/..%2fsecret.txt',
        '/console/..%2Fpackage.json',
        '/console/assets/..%2f..%2fsecret.txt',
        '/console/assets/%2e%2e/%2e%2e/secret.txt',
        '/console/..%5csecret.txt',
        '/console/..\\secret.txt',
        '/console/%252e%252e/secret.txt',
        '/console/./index.html',
        '/console/%00',
        '/console/%zz',
        '/console/.env',
      ];
      for (const path of attempts) {
        const res = await get(path);
        expect({ path, leaked: res.body.includes(SECRET) }).toEqual({ path, leaked: false });
        expect({ path, ok: [200, 400, 404].includes(res.status) }).toEqual({ path, ok: true });
      }
      // The dot segments themselves are a 404, not the app.
      for (const path of attempts.slice(0, 8)) expect([path, (await get(path)).status]).toEqual([path, 404]);
    });

    it('leaves other paths alone: /consoles is the API 404, the API is unchanged', async () => {
      expect((await get('/consoles')).status).toBe(404);
      expect((await get('/api/v1/tasks')).status).toBe(401);
    });
  });
});
