import { crc32c } from '@aws-crypto/crc32c';
import type http from 'node:http';
import { listenLoopback } from './loopback-server';

/** A request as the simulator saw it (method, path, whether it carried an Authorization header); never a body. */
export interface GsmRecordedRequest {
  method: string;
  path: string;
  authorized: boolean;
  status: number;
}

type Answer = { status: number; body: unknown };
type Version = { data: Buffer; createTime: string };

const CODES: Record<number, string> = {
  400: 'INVALID_ARGUMENT',
  401: 'UNAUTHENTICATED',
  403: 'PERMISSION_DENIED',
  404: 'NOT_FOUND',
  405: 'METHOD_NOT_ALLOWED',
  409: 'ALREADY_EXISTS',
  429: 'RESOURCE_EXHAUSTED',
  500: 'INTERNAL',
  503: 'UNAVAILABLE',
};
/** Google's error body: {error: {code, message, status}}, which google-gax turns into a GoogleError with the gRPC code. */
const problem = (code: number, message: string): Answer => ({ status: code, body: { error: { code, message, status: CODES[code] } } });
const SEGMENT = '([A-Za-z0-9_-]{1,255})';

/**
 * A loopback simulator of Google Secret Manager's REST API (v1), enough for the official client
 * in REST (fallback) mode: create a secret, add a version, access a version (a number or latest).
 * Secrets live in memory; no authentication is checked (requests without credentials are
 * recorded as such, so a test can prove none were sent).
 */
export class GsmSimulator {
  private readonly secrets = new Map<string, Version[]>();
  private readonly recorded: GsmRecordedRequest[] = [];
  private server?: { port: number; close: () => Promise<void> };
  /** A fault: accesses answer a dataCrc32c that does not match the data (corruption in transit), which clients must refuse. */
  wrongChecksums = false;
  /** A fault: every request is answered with this Google-shaped error (status, and a message a test chooses) until cleared. */
  failWith: { status: number; message: string } | undefined;

  constructor(private readonly now: () => number = Date.now) {}

  async listen(port = 0, host = '127.0.0.1'): Promise<string> {
    this.server = await listenLoopback((req, res) => this.handle(req, res), port, host);
    return `http://${host}:${this.server.port}`;
  }

  get port(): number {
    if (!this.server) throw new Error('the simulator is not listening');
    return this.server.port;
  }

  async close(): Promise<void> {
    await this.server?.close();
  }

  /** Stores a version directly (a secret made by someone else); returns its number. */
  put(project: string, secret: string, value: string): number {
    const versions = this.secrets.get(`${project}/${secret}`) ?? [];
    versions.push({ data: Buffer.from(value), createTime: new Date(this.now()).toISOString() });
    this.secrets.set(`${project}/${secret}`, versions);
    return versions.length;
  }

  /** The requests served so far. */
  get requests(): readonly GsmRecordedRequest[] {
    return this.recorded;
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://sim');
    const body = await new Promise<string>((resolve) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    });
    let answer: Answer;
    try {
      answer = this.failWith
        ? problem(this.failWith.status, this.failWith.message)
        : this.answer(req.method ?? 'GET', url, body ? (JSON.parse(body) as Record<string, unknown>) : {});
    } catch {
      answer = problem(400, 'Invalid JSON payload received.');
    }
    this.recorded.push({ method: req.method ?? '', path: url.pathname, authorized: Boolean(req.headers.authorization), status: answer.status });
    res.writeHead(answer.status, { 'content-type': 'application/json; charset=UTF-8' }).end(JSON.stringify(answer.body));
  }

  private answer(method: string, url: URL, body: Record<string, unknown>): Answer {
    const path = url.pathname;
    let m: RegExpExecArray | null;
    if ((m = new RegExp(`^/v1/projects/${SEGMENT}/secrets$`).exec(path)) && method === 'POST')
      return this.create(m[1]!, url.searchParams.get('secretId'), body);
    if ((m = new RegExp(`^/v1/projects/${SEGMENT}/secrets/${SEGMENT}:addVersion$`).exec(path)) && method === 'POST') return this.addVersion(m[1]!, m[2]!, body);
    if ((m = new RegExp(`^/v1/projects/${SEGMENT}/secrets/${SEGMENT}/versions/(latest|[1-9]\\d*):access$`).exec(path)) && method === 'GET')
      return this.access(m[1]!, m[2]!, m[3]!);
    return problem(404, `The requested URL ${path} was not found on this server.`);
  }

  private create(project: string, secretId: string | null, body: Record<string, unknown>): Answer {
    if (!secretId || !/^[A-Za-z0-9_-]{1,255}$/.test(secretId)) return problem(400, 'Secret ID must be 1-255 letters, digits, _ or -.');
    if (this.secrets.has(`${project}/${secretId}`)) return problem(409, `Secret [projects/${project}/secrets/${secretId}] already exists.`);
    this.secrets.set(`${project}/${secretId}`, []);
    return {
      status: 200,
      body: {
        name: `projects/${project}/secrets/${secretId}`,
        createTime: new Date(this.now()).toISOString(),
        replication: body.replication ?? { automatic: {} },
      },
    };
  }

  private addVersion(project: string, secret: string, body: Record<string, unknown>): Answer {
    const versions = this.secrets.get(`${project}/${secret}`);
    if (!versions) return problem(404, `Secret [projects/${project}/secrets/${secret}] not found.`);
    const payload = body.payload as { data?: unknown; dataCrc32c?: unknown } | undefined;
    if (typeof payload?.data !== 'string') return problem(400, 'Payload data is required.');
    const data = Buffer.from(payload.data, 'base64');
    if (payload.dataCrc32c !== undefined && String(payload.dataCrc32c) !== String(crc32c(data)))
      return problem(400, 'Checksum mismatch: data_crc32c does not match the payload.');
    const number = this.put(project, secret, data.toString('utf8'));
    return {
      status: 200,
      body: { name: `projects/${project}/secrets/${secret}/versions/${number}`, createTime: versions.at(-1)!.createTime, state: 'ENABLED' },
    };
  }

  private access(project: string, secret: string, version: string): Answer {
    const versions = this.secrets.get(`${project}/${secret}`) ?? [];
    const number = version === 'latest' ? versions.length : Number(version);
    const found = versions[number - 1];
    if (!found) return problem(404, `Secret Version [projects/${project}/secrets/${secret}/versions/${version}] not found.`);
    return {
      status: 200,
      body: {
        name: `projects/${project}/secrets/${secret}/versions/${number}`,
        payload: { data: found.data.toString('base64'), dataCrc32c: String((crc32c(found.data) + (this.wrongChecksums ? 1 : 0)) % 2 ** 32) },
      },
    };
  }
}
