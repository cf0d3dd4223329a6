import os from 'node:os';
import { PassThrough } from 'node:stream';
import { Counter } from 'prom-client';
import { createLogger, createMetricsRegistry, instanceId, startHealthServer } from '../src';

describe('startHealthServer', () => {
  it('serves liveness, readiness from its checks, and metrics', async () => {
    const registry = createMetricsRegistry('test-svc');
    new Counter({ name: 'demo_total', help: 'demo', registers: [registry] }).inc(3);
    let redisUp = true;
    const health = await startHealthServer({
      host: '127.0.0.1',
      port: 0,
      registry,
      logger: createLogger({ service: 'test-svc', stream: new PassThrough() }),
      checks: {
        postgres: async () => true,
        redis: async () => {
          if (!redisUp) throw new Error('connection refused');
        },
      },
    });
    const base = `http://127.0.0.1:${health.port}`;
    try {
      const alive = await fetch(`${base}/healthz`);
      expect(alive.status).toBe(200);
      expect(await alive.json()).toEqual({ status: 'ok', instance: instanceId() });
      expect(instanceId()).toBe(process.env.INSTANCE_ID || `${os.hostname()}-${process.pid}`);
      expect((await fetch(`${base}/readyz`)).status).toBe(200);
      redisUp = false;
      const notReady = await fetch(`${base}/readyz`);
      expect(notReady.status).toBe(503);
      expect(await notReady.json()).toMatchObject({ checks: { postgres: { ok: true }, redis: { ok: false, error: 'connection refused' } } });
      const metrics = await (await fetch(`${base}/metrics`)).text();
      expect(metrics).toContain('demo_total{service="test-svc"} 3');
      expect(metrics).toContain('process_cpu_user_seconds_total');
      expect((await fetch(`${base}/nope`)).status).toBe(404);
    } finally {
      await health.close();
    }
  });
});
