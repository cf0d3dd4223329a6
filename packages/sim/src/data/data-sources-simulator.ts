import type http from 'node:http';
import { listenLoopback } from '../loopback-server';
import { DataFaults, type DataFault } from './data-faults';
import type { DataSourceRoute, SimAnswer, SimRequest } from './data-route';
import { DATA_SOURCE_ROUTES } from './routes';

/** A request as the simulator saw it (secret parameters replaced by "***"); status 0: dropped. */
export interface DataRecordedRequest {
  source: string;
  path: string;
  query: Record<string, string>;
  status: number;
  /** When it arrived, epoch ms (the real clock, not the simulated one). */
  at: number;
}

export interface DataSourcesSimulatorOptions {
  /** The simulated clock (epoch ms): what "now" is for the sources' generated data. Date.now by default. */
  now?: () => number;
  /** Only these sources (all by default). */
  sources?: readonly string[];
}

const MAX_RECORDED = 50_000;

/**
 * The five public data sources of ingestion (GDELT DOC 2.0, ReliefWeb v1, FRED, the World
 * Bank Indicators v2 API and UN Comtrade) on one loopback port, each on its real paths and
 * formats. Tests inject faults (429 with Retry-After, 5xx, slow pages, malformed pages, dropped
 * connections) and read back every request each source received.
 */
export class DataSourcesSimulator {
  readonly requests: DataRecordedRequest[] = [];
  private readonly faults = new DataFaults();
  private readonly routes: DataSourceRoute[];
  private server: { close: () => Promise<void> } | undefined;
  private nowMs: () => number;

  constructor(options: DataSourcesSimulatorOptions = {}) {
    this.nowMs = options.now ?? Date.now;
    this.routes = DATA_SOURCE_ROUTES.filter((r) => !options.sources || options.sources.includes(r.source));
  }

  /** Listens on host:port (0: any free port) and resolves to its base URL, http://host:port. */
  async listen(port = 0, host = '127.0.0.1'): Promise<string> {
    const server = await listenLoopback((req, res) => this.handle(req, res), port, host);
    this.server = server;
    return `http://${host}:${server.port}`;
  }

  /** The names of the sources it serves. */
  get sources(): string[] {
    return this.routes.map((r) => r.source);
  }

  async close(): Promise<void> {
    await this.server?.close();
  }

  addFault(fault: DataFault): void {
    this.faults.add(fault);
  }

  clearFaults(): void {
    this.faults.clear();
  }

  /** Moves the simulated clock: `now` from here on. */
  setClock(now: () => number): void {
    this.nowMs = now;
  }

  /** The requests one source received, oldest first. */
  requestsOf(source: string): DataRecordedRequest[] {
    return this.requests.filter((r) => r.source === source);
  }

  reset(): void {
    this.requests.length = 0;
    this.faults.clear();
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://sim.local');
    if (url.pathname === '/_sim/health') return send(res, { status: 200, body: { ok: true, sources: this.sources } });
    const route = this.routes.find((r) => r.serves(url.pathname));
    if (!route) return send(res, { status: 404, body: { error: `no simulated source serves ${url.pathname}` } });
    const recorded: DataRecordedRequest = { source: route.source, path: url.pathname, query: recordedQuery(url, route), status: 0, at: Date.now() };
    this.requests.push(recorded);
    if (this.requests.length > MAX_RECORDED) this.requests.splice(0, this.requests.length - MAX_RECORDED);

    const request: SimRequest = { url, headers: req.headers, now: new Date(this.nowMs()) };
    const fault = this.faults.take(route.source, url.pathname + url.search);
    if (fault?.delayMs) await delay(fault.delayMs, res);
    if (fault?.drop) {
      req.socket.destroy();
      return;
    }
    let answer: SimAnswer;
    if (fault?.status) answer = faultAnswer(fault);
    else if (fault?.malformed) answer = route.malformed(request);
    else {
      try {
        answer = route.answer(request);
      } catch (error) {
        answer = { status: 500, body: { error: `simulator error: ${(error as Error).message}` } };
      }
    }
    recorded.status = answer.status;
    send(res, answer);
  }
}

function recordedQuery(url: URL, route: DataSourceRoute): Record<string, string> {
  const query: Record<string, string> = {};
  for (const [key, value] of url.searchParams) query[key] = route.secretParams?.includes(key) ? '***' : value;
  return query;
}

function faultAnswer(fault: DataFault): SimAnswer {
  const status = fault.status!;
  const headers: Record<string, string> = fault.retryAfterS !== undefined ? { 'retry-after': String(fault.retryAfterS) } : {};
  const message = status === 429 ? 'Too Many Requests: rate limit exceeded' : `simulated failure (${status})`;
  return { status, body: { error: message, status }, headers };
}

function send(res: http.ServerResponse, answer: SimAnswer): void {
  if (res.destroyed) return;
  const text = typeof answer.body === 'string' ? answer.body : JSON.stringify(answer.body);
  res.writeHead(answer.status, { 'content-type': 'application/json; charset=utf-8', ...answer.headers });
  res.end(text);
}

function delay(ms: number, res: http.ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    res.once('close', () => (clearTimeout(timer), resolve()));
  });
}
