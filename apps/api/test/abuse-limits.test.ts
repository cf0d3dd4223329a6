import { once } from 'node:events';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { KyselyPlugin } from 'kysely';
import request from 'supertest';
import { TaskRowPoller } from '../src/task-row-poller';
import { type Harness, type HarnessOptions, quietLogger, startHarness } from './helpers';

const auth = (key: string) => ({ Authorization: `Bearer ${key}` });

async function withHarness(options: HarnessOptions, body: (h: Harness) => Promise<void>) {
  const h = await startHarness(options);
  try {
    await body(h);
  } finally {
    await h.close();
  }
}

describe('failed authentications', () => {
  it('refuses an address with 429 once it sent too many unknown keys, without looking them up; keys already known still work', async () => {
    await withHarness({ authFailuresPerMinute: 5, keyCacheMs: 60_000 }, async (h) => {
      // A key the API has seen is held in its cache and keeps working from the same address.
      expect((await request(h.app).get('/api/v1/usage').set(auth(h.keyA))).status).toBe(200);
      for (let i = 0; i < 5; i += 1) {
        const res = await request(h.app)
          .get('/api/v1/usage')
          .set(auth(`cvk_guess_${i}`));
        expect(res.status).toBe(401);
      }
      const refused = await request(h.app).get('/api/v1/usage').set(auth('cvk_guess_next'));
      expect(refused.status).toBe(429);
      expect(refused.body).toMatchObject({ error: 'too_many_failed_authentications', message: expect.stringMatching(/check the key/) });
      expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
      // A real key the cache does not hold yet is refused too: it would cost a lookup.
      expect((await request(h.app).get('/api/v1/usage').set(auth(h.keyB))).status).toBe(429);
      expect((await request(h.app).get('/api/v1/usage').set(auth(h.keyA))).status).toBe(200);
    });
  });

  it('counts per client address', async () => {
    await withHarness({ authFailuresPerMinute: 2 }, async (h) => {
      // The API trusts X-Forwarded-For from loopback proxies only; supertest connects from loopback.
      const from = (ip: string, key: string) =>
        request(h.app)
          .get('/api/v1/usage')
          .set({ ...auth(key), 'X-Forwarded-For': ip });
      for (let i = 0; i < 2; i += 1) expect((await from('198.51.100.1', 'cvk_bad')).status).toBe(401);
      expect((await from('198.51.100.1', 'cvk_bad')).status).toBe(429);
      expect((await from('198.51.100.2', 'cvk_bad')).status).toBe(401);
      expect((await from('198.51.100.2', h.keyA)).status).toBe(200);
    });
  });
});

describe('admin keys', () => {
  it('have a rate limit of their own', async () => {
    await withHarness({ rateLimits: { admin: 3 } }, async (h) => {
      for (let i = 0; i < 3; i += 1) expect((await request(h.app).get('/api/v1/admin/dead-letters').set(auth(h.adminKey))).status).toBe(200);
      const res = await request(h.app).get('/api/v1/admin/dead-letters').set(auth(h.adminKey));
      expect(res.status).toBe(429);
      expect(res.body.message).toMatch(/an admin key allows 3 API requests per minute/);
      expect(res.headers['retry-after']).toBeDefined();
      // Tenants count on their own.
      expect((await request(h.app).get('/api/v1/usage').set(auth(h.keyA))).status).toBe(200);
    });
  });
});

describe('live-event streams', () => {
  /** Opens a stream and resolves with its status once the headers arrive; the stream stays open. */
  async function openStream(base: string, key: string, taskId: string) {
    const controller = new AbortController();
    const res = await fetch(`${base}/api/v1/tasks/${taskId}/events`, { headers: auth(key), signal: controller.signal });
    return { res, close: () => controller.abort() };
  }

  async function listening(h: Harness): Promise<{ server: Server; base: string }> {
    const server = h.app.listen(0, '127.0.0.1');
    await once(server, 'listening');
    return { server, base: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
  }

  const submit = async (h: Harness, key: string) => (await request(h.app).post('/api/v1/tasks').set(auth(key)).send({ task: 'ping' })).body.task_id as string;

  it('caps the streams of a tenant and of the process with 429 and Retry-After; a closed stream frees its place', async () => {
    await withHarness({ streams: { perTenant: 2, perProcess: 3 } }, async (h) => {
      const { server, base } = await listening(h);
      try {
        const [a1, a2, a3, b1, b2] = [
          await submit(h, h.keyA),
          await submit(h, h.keyA),
          await submit(h, h.keyA),
          await submit(h, h.keyB),
          await submit(h, h.keyB),
        ];
        const first = await openStream(base, h.keyA, a1);
        const second = await openStream(base, h.keyA, a2);
        expect([first.res.status, second.res.status]).toEqual([200, 200]);
        const third = await fetch(`${base}/api/v1/tasks/${a3}/events`, { headers: auth(h.keyA) });
        expect(third.status).toBe(429);
        expect(third.headers.get('retry-after')).toBe('7');
        expect(((await third.json()) as { error: string; message: string }).message).toMatch(/this tenant already has 2 live-event streams open/);

        // Another tenant has places of its own, until the process is full.
        const other = await openStream(base, h.keyB, b1);
        expect(other.res.status).toBe(200);
        const full = await fetch(`${base}/api/v1/tasks/${b2}/events`, { headers: auth(h.keyB) });
        expect(full.status).toBe(429);
        expect(((await full.json()) as { message: string }).message).toMatch(/this API process/);

        first.close();
        await waitUntil(
          async () =>
            (await fetch(`${base}/api/v1/tasks/${a3}/events`, { headers: auth(h.keyA), signal: AbortSignal.timeout(5000) }).catch(() => undefined))?.status ===
            200,
        );
        second.close();
        other.close();
      } finally {
        server.closeAllConnections();
        server.close();
      }
    });
  });

  it('ends a stream at its longest lifetime, so a client reconnects', async () => {
    await withHarness({ eventStreamMaxMs: 300 }, async (h) => {
      const { server, base } = await listening(h);
      try {
        const id = await submit(h, h.keyA);
        const res = await fetch(`${base}/api/v1/tasks/${id}/events`, { headers: auth(h.keyA) });
        expect(res.status).toBe(200);
        // The task never runs (no worker): only the lifetime can end this stream.
        const text = await res.text();
        expect(text).toContain('event: state');
        expect(text).toContain('reached its longest lifetime');
      } finally {
        server.closeAllConnections();
        server.close();
      }
    });
  });

  it('re-reads every streamed task of the process with one query per poll, not one per stream', async () => {
    await withHarness({}, async (h) => {
      const ids = await Promise.all(Array.from({ length: 30 }, () => submit(h, h.keyA)));
      let queries = 0;
      const counting: KyselyPlugin = { transformQuery: (args) => ((queries += 1), args.node), transformResult: async (args) => args.result };
      const poller = new TaskRowPoller(h.db.withPlugin(counting), 20, quietLogger());
      const seen = new Map<string, number>();
      const removers = ids.map((id) => poller.add(id, (row) => seen.set(row.id, (seen.get(row.id) ?? 0) + 1)));
      await waitUntil(async () => (seen.get(ids[0]!) ?? 0) >= 3);
      removers.forEach((remove) => remove());
      const polls = seen.get(ids[0]!)!;
      // Every task was seen on every poll, and each poll was one query.
      for (const id of ids) expect(Math.abs(seen.get(id)! - polls)).toBeLessThanOrEqual(1);
      expect(queries).toBeLessThanOrEqual(polls + 1);
      expect(poller.size).toBe(0);
    });
  });
});

async function waitUntil(condition: () => Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 25));
  }
}
