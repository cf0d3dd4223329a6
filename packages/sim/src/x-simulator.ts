import type http from 'node:http';
import { listenLoopback } from './loopback-server';
import { readBody, type XBody } from './x-body';
import { XFaults, type XFault } from './x-faults';
import { XMediaStore } from './x-media';
import { XPosts } from './x-posts';
import { invalidRequest, notFoundRoute, serverError, tooManyRequests, unauthorized, type XProblem } from './x-problems';
import { X_TIERS, type XEndpoint, type XRateLimitOverrides, type XTier } from '@conveyor/contracts';
import { XRateLimiter, type XRateState } from './x-rate-limits';

/** An X account the simulator knows, reached with its user access token. */
export interface XAccount {
  token: string;
  id: string;
  username: string;
  name?: string;
  tier: XTier;
}

export interface XSimulatorOptions {
  /** The accounts (user token → user) known from the start; more through /_sim/accounts. */
  accounts?: XAccount[];
  /** The clock (epoch ms) for rate-limit windows, post ages and media processing; Date.now by default. */
  now?: () => number;
  /** Replaces entries of X_RATE_LIMITS (short windows for tests). */
  rateLimits?: XRateLimitOverrides;
  /** How long the same text by the same user is a duplicate; 24 h by default. */
  duplicateWindowMs?: number;
  /** How long a video or GIF takes to process after FINALIZE; 2 s by default. */
  mediaProcessingMs?: number;
  /** Source of chance for faults with a probability; Math.random by default. */
  random?: () => number;
}

/** A request as the simulator saw it; status 0 when the connection was dropped instead of answered. */
export interface XRecordedRequest {
  method: string;
  path: string;
  endpoint?: XEndpoint;
  userId?: string;
  status: number;
}

/** The account `npm start` serves when none are configured. */
export const DEV_X_ACCOUNT: XAccount = { token: 'x-sim-dev-token', id: '1900000000000000001', username: 'conveyor_dev', name: 'Conveyor Dev', tier: 'basic' };

const MAX_RECORDED = 10_000;
type Answer = { status: number; body: Record<string, unknown> };
type Route = { endpoint: XEndpoint; param?: string };

/** Which endpoint a method and path are, with the id in the path if any. */
function route(method: string, path: string): Route | undefined {
  const m = (re: RegExp) => re.exec(path);
  let match: RegExpExecArray | null;
  if (path === '/2/tweets') return method === 'POST' ? { endpoint: 'POST /2/tweets' } : method === 'GET' ? { endpoint: 'GET /2/tweets' } : undefined;
  if ((match = m(/^\/2\/tweets\/(\d+)$/))) {
    if (method === 'GET') return { endpoint: 'GET /2/tweets/:id', param: match[1] };
    if (method === 'DELETE') return { endpoint: 'DELETE /2/tweets/:id', param: match[1] };
  }
  if (method === 'GET' && path === '/2/users/me') return { endpoint: 'GET /2/users/me' };
  if (method === 'GET' && (match = m(/^\/2\/users\/(\d+)\/tweets$/))) return { endpoint: 'GET /2/users/:id/tweets', param: match[1] };
  if (path === '/2/media/upload')
    return method === 'POST' ? { endpoint: 'POST /2/media/upload' } : method === 'GET' ? { endpoint: 'GET /2/media/upload' } : undefined;
  if (method === 'POST' && path === '/2/media/upload/initialize') return { endpoint: 'POST /2/media/upload' };
  if (method === 'POST' && (match = m(/^\/2\/media\/upload\/(\d+)\/(append|finalize)$/)))
    return { endpoint: match[2] === 'append' ? 'POST /2/media/upload/:id/append' : 'POST /2/media/upload/:id/finalize', param: match[1] };
  return undefined;
}

const rateHeaders = (state: XRateState): Record<string, string> => ({
  'x-rate-limit-limit': String(state.limit),
  'x-rate-limit-remaining': String(state.remaining),
  'x-rate-limit-reset': String(state.reset),
});
const fieldsOf = (query: URLSearchParams) => new Set((query.get('tweet.fields') ?? '').split(',').filter(Boolean));
const str = (v: unknown) => (typeof v === 'string' ? v : typeof v === 'number' ? String(v) : '');

/**
 * An X API v2 simulator on loopback: posts (create, delete, look up, a user's timeline),
 * /2/users/me and media uploads, with X's paths, bodies and errors; per-user rate limits by tier
 * with the x-rate-limit-* headers; duplicate-content refusals; metrics that grow with a post's
 * age; and injected faults (5xx, 429, delays, dropped connections, before or after the request
 * is carried out). Tests drive it through the /_sim/ control API, which no real client calls.
 */
export class XSimulator {
  readonly requests: XRecordedRequest[] = [];
  readonly posts: XPosts;
  private readonly accounts = new Map<string, XAccount>();
  private readonly limiter: XRateLimiter;
  private readonly faults: XFaults;
  private readonly media: XMediaStore;
  private readonly baseNow: () => number;
  private offsetMs = 0;
  private sequence = 0n;
  private server: { close: () => Promise<void> } | undefined;

  constructor(private readonly options: XSimulatorOptions = {}) {
    this.baseNow = options.now ?? Date.now;
    const now = () => this.now();
    // Snowflake-sized ids that only grow, so newest-first is highest-id-first as on X.
    const nextId = () => String(1_900_000_000_000_000_000n + ++this.sequence * 1000n);
    this.limiter = new XRateLimiter(now, options.rateLimits);
    this.faults = new XFaults(options.random ?? Math.random);
    this.media = new XMediaStore(now, nextId, options.mediaProcessingMs ?? 2000);
    this.posts = new XPosts(now, nextId, this.media, options.duplicateWindowMs ?? 24 * 60 * 60_000);
    for (const account of options.accounts ?? [DEV_X_ACCOUNT]) this.addAccount(account);
  }

  /** The simulator's time: the clock plus whatever advance() added. */
  now(): number {
    return this.baseNow() + this.offsetMs;
  }

  /** Moves the simulator's time forward: posts age (their metrics grow), windows and processing end. */
  advance(ms: number): void {
    this.offsetMs += ms;
  }

  addAccount(account: XAccount): void {
    if (!X_TIERS.includes(account.tier)) throw new Error(`unknown tier ${String(account.tier)}; one of ${X_TIERS.join(', ')}`);
    this.accounts.set(account.token, { ...account });
  }

  addFault(fault: XFault): void {
    this.faults.add(fault);
  }

  /** Back to the start: no posts, media, requests, faults or counted requests; the start's accounts and limits; no advance; ids from the first again. */
  reset(): void {
    this.sequence = 0n;
    this.posts.clear();
    this.media.clear();
    this.faults.clear();
    this.limiter.reset();
    this.requests.length = 0;
    this.offsetMs = 0;
    this.accounts.clear();
    for (const account of this.options.accounts ?? [DEV_X_ACCOUNT]) this.addAccount(account);
  }

  /** Listens on host:port (0: any free port) and resolves with the base URL (the API is under /2). */
  async listen(port = 0, host = '127.0.0.1'): Promise<string> {
    const server = await listenLoopback((req, res) => this.handle(req, res), port, host);
    this.server = server;
    return `http://${host}:${server.port}`;
  }

  async close(): Promise<void> {
    await this.server?.close();
    this.server = undefined;
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://x');
    const method = req.method ?? 'GET';
    const send = (status: number, body: unknown, headers: Record<string, string> = {}) => {
      res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers });
      res.end(JSON.stringify(body));
    };
    if (url.pathname.startsWith('/_sim/')) return this.control(method, url.pathname, await readBody(req), send);

    const recorded: XRecordedRequest = { method, path: url.pathname, status: 0 };
    // The latest MAX_RECORDED only: a simulator left running under npm start does not grow without end.
    if (this.requests.push(recorded) > MAX_RECORDED) this.requests.splice(0, this.requests.length - MAX_RECORDED);
    const reply = (answer: Answer, headers: Record<string, string> = {}) => {
      recorded.status = answer.status;
      send(answer.status, answer.body, headers);
    };
    let found = route(method, url.pathname);
    if (!found) return reply(notFoundRoute());
    const token = /^Bearer (.+)$/i.exec(req.headers.authorization ?? '')?.[1];
    const account = token ? this.accounts.get(token) : undefined;
    if (!account) return reply(unauthorized());
    recorded.userId = account.id;
    const body = await readBody(req);
    if (body.malformed) return reply(invalidRequest('The request body is not valid JSON.'));
    found = this.commandForm(found, body, url.searchParams);
    recorded.endpoint = found.endpoint;

    const rate = this.limiter.take(account.token, account.tier, found.endpoint);
    const headers = rateHeaders(rate);
    if (!rate.allowed) return reply(tooManyRequests(), headers);
    const fault = this.faults.take(found.endpoint);
    const wait = (ms: number) =>
      new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, ms);
        res.once('close', () => (clearTimeout(timer), resolve()));
      });
    if (fault?.delayMs) await wait(fault.delayMs);
    if (fault?.drop === 'before-accept') return void req.socket.destroy();
    if (fault?.status === 429) return reply(tooManyRequests(), { ...headers, 'x-rate-limit-remaining': '0' });
    if (fault?.status) return reply(serverError(fault.status), headers);

    const answer = this.dispatch(found, account, body, url.searchParams);
    if (fault?.stallAfterAcceptMs) await wait(fault.stallAfterAcceptMs);
    // The request is carried out (a post stored); the client never hears of it.
    if (fault?.drop === 'after-accept') return void req.socket.destroy();
    reply(answer, headers);
  }

  /** `POST /2/media/upload` with `command=INIT|APPEND|FINALIZE` is the chunked flow in one path (X's older v2 form). */
  private commandForm(found: Route, body: XBody, query: URLSearchParams): Route {
    if (found.endpoint !== 'POST /2/media/upload') return found;
    const command = str(body.fields.command ?? query.get('command'));
    const mediaId = str(body.fields.media_id ?? query.get('media_id'));
    if (command === 'APPEND') return { endpoint: 'POST /2/media/upload/:id/append', param: mediaId };
    if (command === 'FINALIZE') return { endpoint: 'POST /2/media/upload/:id/finalize', param: mediaId };
    return command === 'INIT' ? { endpoint: 'POST /2/media/upload', param: 'initialize' } : found;
  }

  private dispatch({ endpoint, param }: Route, account: XAccount, body: XBody, query: URLSearchParams): Answer | XProblem {
    const fields = fieldsOf(query);
    switch (endpoint) {
      case 'POST /2/tweets':
        return this.posts.create(account.id, body.fields);
      case 'DELETE /2/tweets/:id':
        return this.posts.delete(account.id, param!);
      case 'GET /2/tweets/:id':
        return this.posts.lookup(account.id, [param!], fields, true);
      case 'GET /2/tweets': {
        const ids = (query.get('ids') ?? '').split(',').filter(Boolean);
        if (ids.length < 1 || ids.length > 100 || ids.some((id) => !/^\d+$/.test(id)))
          return invalidRequest('The `ids` query parameter must hold 1 to 100 post ids.', 'ids');
        return this.posts.lookup(account.id, ids, fields, false);
      }
      case 'GET /2/users/:id/tweets':
        return this.posts.timeline(account.id, param!, query, fields);
      case 'GET /2/users/me':
        return { status: 200, body: { data: { id: account.id, name: account.name ?? account.username, username: account.username } } };
      case 'POST /2/media/upload':
        return this.upload(account, body, param === 'initialize' || body.fields.total_bytes !== undefined);
      case 'POST /2/media/upload/:id/append':
      case 'POST /2/media/upload/:id/finalize':
      case 'GET /2/media/upload':
        return this.chunk(endpoint, param ?? query.get('media_id') ?? '', account, body);
    }
  }

  private upload(account: XAccount, body: XBody, initialize: boolean): Answer | XProblem {
    const f = body.fields;
    const type = str(f.media_type) || 'image/jpeg';
    const category = str(f.media_category) || (type.startsWith('video/') ? 'tweet_video' : 'tweet_image');
    const media = initialize
      ? this.media.initialize(account.id, str(f.media_type), Number(f.total_bytes), category)
      : this.media.simple(account.id, body.files.media ?? (typeof f.media === 'string' ? Buffer.from(f.media, 'base64') : undefined), type, category);
    return 'status' in media ? media : { status: 200, body: { data: this.media.describe(media) } };
  }

  private chunk(endpoint: XEndpoint, id: string, account: XAccount, body: XBody): Answer | XProblem {
    const media = this.media.get(id);
    if (!media || media.ownerId !== account.id) return invalidRequest('The media_id is not valid.', 'media_id');
    if (endpoint === 'POST /2/media/upload/:id/append') {
      const bytes = body.files.media ?? (typeof body.fields.media === 'string' ? Buffer.from(body.fields.media, 'base64') : undefined);
      const problem = this.media.append(media, Number(body.fields.segment_index), bytes);
      return problem ?? { status: 200, body: { data: { expires_at: Math.floor(this.now() / 1000) + 86_400 } } };
    }
    if (endpoint === 'POST /2/media/upload/:id/finalize') {
      const problem = this.media.finalize(media);
      if (problem) return problem;
    }
    return { status: 200, body: { data: this.media.describe(media) } };
  }

  /** The test-control API: state and faults, under /_sim/ where no real client goes. */
  private control(method: string, path: string, body: XBody, send: (status: number, body: unknown) => void): void {
    const f = body.fields;
    if (method === 'GET' && path === '/_sim/health') return send(200, { ok: true, accounts: this.accounts.size });
    if (method === 'POST' && path === '/_sim/reset') return (this.reset(), send(200, { ok: true }));
    if (method === 'GET' && path === '/_sim/posts') return send(200, { posts: this.posts.all });
    if (method === 'GET' && path === '/_sim/requests') return send(200, { requests: this.requests });
    if (method === 'POST' && path === '/_sim/faults') return (this.addFault(f as XFault), send(200, { ok: true }));
    if (method === 'DELETE' && path === '/_sim/faults') return (this.faults.clear(), send(200, { ok: true }));
    if (method === 'POST' && path === '/_sim/clock') return (this.advance(Number(f.advance_ms) || 0), send(200, { now_ms: this.now() }));
    try {
      if (method === 'POST' && path === '/_sim/accounts') return (this.addAccount(f as unknown as XAccount), send(200, { ok: true }));
      if (method === 'POST' && path === '/_sim/rate-limits') {
        const { tier, endpoint, limit, windowMs } = f as { tier: XTier; endpoint: XEndpoint; limit?: number; windowMs?: number };
        return (this.limiter.override(tier, endpoint, { limit, windowMs }), send(200, { ok: true }));
      }
    } catch (error) {
      return send(400, { error: (error as Error).message });
    }
    send(404, { error: `no control route ${method} ${path}` });
  }
}
