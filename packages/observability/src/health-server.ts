import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';
import { instanceId } from './instance';
import type { Logger } from './logger';

/** A named readiness check: resolves when the dependency answers, rejects otherwise. */
export type ReadinessCheck = () => Promise<unknown>;

export interface HealthServerOptions {
  host: string;
  port: number;
  registry: Registry;
  checks: Record<string, ReadinessCheck>;
  logger: Logger;
  /** Lets the owner report "not ready" while it drains on shutdown. */
  isShuttingDown?: () => boolean;
}

/** Runs every check with a timeout and reports each one's state. */
export async function runReadinessChecks(checks: Record<string, ReadinessCheck>, timeoutMs = 2000) {
  const entries = await Promise.all(
    Object.entries(checks).map(async ([name, check]) => {
      let timer: NodeJS.Timeout | undefined;
      try {
        await Promise.race([
          check(),
          new Promise((_, reject) => {
            timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
          }),
        ]);
        return [name, { ok: true }] as const;
      } catch (error) {
        return [name, { ok: false, error: error instanceof Error ? error.message : String(error) }] as const;
      } finally {
        clearTimeout(timer);
      }
    }),
  );
  const results = Object.fromEntries(entries);
  return { ok: entries.every(([, r]) => r.ok), checks: results };
}

/**
 * A small HTTP server for processes that have no API of their own (workers, scheduler):
 * /healthz (the process is alive), /readyz (its dependencies answer), /metrics (Prometheus).
 */
export async function startHealthServer(options: HealthServerOptions): Promise<{ server: http.Server; port: number; close: () => Promise<void> }> {
  const server = http.createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    const send = (status: number, body: unknown, type = 'application/json') => {
      res.writeHead(status, { 'content-type': type });
      res.end(typeof body === 'string' ? body : JSON.stringify(body));
    };
    if (req.method !== 'GET') return send(405, { error: 'method_not_allowed', message: 'Only GET is served here' });
    if (path === '/healthz') return send(200, { status: 'ok', instance: instanceId() });
    if (path === '/readyz') {
      if (options.isShuttingDown?.()) return send(503, { status: 'shutting_down' });
      void runReadinessChecks(options.checks).then((r) => send(r.ok ? 200 : 503, { status: r.ok ? 'ready' : 'not_ready', ...r }));
      return;
    }
    if (path === '/metrics') {
      void options.registry.metrics().then(
        (text) => send(200, text, options.registry.contentType),
        (error: unknown) => send(500, { error: 'metrics_failed', message: String(error) }),
      );
      return;
    }
    send(404, { error: 'not_found', message: 'Try /healthz, /readyz or /metrics' });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  options.logger.info('health server listening', { url: `http://${options.host}:${port}` });
  return {
    server,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
      }),
  };
}
