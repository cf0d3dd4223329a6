import { createHash } from 'node:crypto';
import type http from 'node:http';
import { listenLoopback } from './loopback-server';
import { type JsonSchema, valueFromSchema } from './json-from-schema';
import { TRANSFORMATION_SCHEMA_NAME, transformationAnswer } from './transformation-answers';

/** A model the simulator serves, with its price in USD per token. */
export interface SimModel {
  id: string;
  promptPrice: number;
  completionPrice: number;
}

/** What the next matching requests get instead of an answer. */
export interface SimFault {
  /** HTTP status to answer with (429, 500, 503, 400, 401...). Absent: answer normally. */
  status?: number;
  /** Seconds sent as Retry-After with the status. */
  retryAfterSeconds?: number;
  /** A Retry-After header sent as is (an HTTP-date, say); retryAfterSeconds wins if both are set. */
  retryAfter?: string;
  /** Milliseconds to wait before answering. */
  delayMs?: number;
  /** Answer 200 with content that is not valid JSON. */
  invalidJson?: boolean;
  /** Answer 200 with exactly this content (what a confused or manipulated model might say). */
  content?: string;
  /** How many requests it applies to; absent means every one. */
  times?: number;
  /** Leave out `usage.cost`, as providers other than OpenRouter do. */
  omitCost?: boolean;
  /** Close the connection without an answer (a lost connection, as the client sees it). */
  drop?: boolean;
}

/** A request's headers as they arrived, without `authorization` (the API key stays out of the log). */
type RecordedHeaders = Record<string, string | string[] | undefined>;

/** A chat request as it arrived; recorded on arrival, so `requests` is in the order they came. */
export interface RecordedRequest {
  model: string;
  body: Record<string, unknown>;
  /** The status it was answered with; 0 while its answer is still delayed (a delayMs fault) or dropped. */
  status: number;
  headers: RecordedHeaders;
}

/** A request for the model list (`GET /v1/models`, what a router checks its routes against). */
interface RecordedModelListRequest {
  headers: RecordedHeaders;
}

const withoutAuthorization = ({ authorization: _key, ...headers }: RecordedHeaders): RecordedHeaders => headers;

/** OpenRouter model ids and prices (USD per million tokens) the simulator knows by default. */
export const DEFAULT_SIM_MODELS: SimModel[] = [
  { id: 'anthropic/claude-3-haiku', promptPrice: 0.25e-6, completionPrice: 1.25e-6 },
  { id: 'anthropic/claude-sonnet-4', promptPrice: 3e-6, completionPrice: 15e-6 },
  { id: 'openai/gpt-4o-mini', promptPrice: 0.15e-6, completionPrice: 0.6e-6 },
  { id: 'google/gemini-2.0-flash-001', promptPrice: 0.1e-6, completionPrice: 0.4e-6 },
];

const tokens = (text: string) => Math.max(1, Math.ceil(text.length / 4));

/**
 * An OpenAI-compatible chat-completions server on loopback: deterministic answers (valid
 * JSON when a json_schema response format is asked for), `usage` with OpenRouter's `cost`,
 * and faults injected per model: through setFault() in-process, or POST /__sim/faults.
 * `requests` (chat) and `modelListRequests` record each request with its headers.
 */
export class LlmSimulator {
  readonly requests: RecordedRequest[] = [];
  readonly modelListRequests: RecordedModelListRequest[] = [];
  private readonly faults = new Map<string, SimFault>();
  private server: { close: () => Promise<void> } | undefined;
  private readonly models: Map<string, SimModel>;

  constructor(models: SimModel[] = DEFAULT_SIM_MODELS) {
    this.models = new Map(models.map((m) => [m.id, m]));
  }

  /** Injects a fault for a model ('*' for all); null clears it. */
  setFault(model: string, fault: SimFault | null): void {
    if (fault) this.faults.set(model, { ...fault });
    else this.faults.delete(model);
  }

  clearFaults(): void {
    this.faults.clear();
  }

  /** Listens on host:port (0: any free port); rejects when it cannot (EADDRINUSE when the port is taken). */
  async listen(port = 0, host = '127.0.0.1'): Promise<string> {
    const server = await listenLoopback((req, res) => this.handle(req, res), port, host);
    this.server = server;
    return `http://${host}:${server.port}/v1`;
  }

  async close(): Promise<void> {
    await this.server?.close();
    this.server = undefined;
  }

  private takeFault(model: string): SimFault | undefined {
    for (const key of [model, '*']) {
      const fault = this.faults.get(key);
      if (!fault) continue;
      if (fault.times !== undefined) {
        fault.times -= 1;
        if (fault.times <= 0) this.faults.delete(key);
      }
      return fault;
    }
    return undefined;
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const send = (status: number, body: unknown, headers: Record<string, string> = {}) => {
      res.writeHead(status, { 'content-type': 'application/json', ...headers });
      res.end(JSON.stringify(body));
    };
    const url = (req.url ?? '').split('?')[0];
    const raw = await new Promise<string>((resolve) => {
      let data = '';
      req.on('data', (c: Buffer) => (data += c.toString()));
      req.on('end', () => resolve(data));
    });
    if (req.method === 'GET' && url === '/v1/models') {
      this.modelListRequests.push({ headers: withoutAuthorization(req.headers) });
      return send(200, {
        object: 'list',
        data: [...this.models.values()].map((m) => ({
          id: m.id,
          object: 'model',
          pricing: { prompt: String(m.promptPrice), completion: String(m.completionPrice) },
        })),
      });
    }
    if (url === '/__sim/faults') {
      if (req.method === 'DELETE') {
        this.clearFaults();
        return send(200, { ok: true });
      }
      const { model, fault } = JSON.parse(raw || '{}') as { model?: string; fault?: SimFault | null };
      this.setFault(model ?? '*', fault ?? null);
      return send(200, { ok: true });
    }
    if (req.method !== 'POST' || url !== '/v1/chat/completions') return send(404, { error: { message: `no route ${req.method} ${url}`, type: 'not_found' } });
    if (!req.headers.authorization) return send(401, { error: { message: 'No API key provided', type: 'authentication_error', code: 401 } });

    let body: Record<string, unknown>;
    try {
      body = JSON.parse(raw) as Record<string, unknown>;
    } catch {
      return send(400, { error: { message: 'request body is not JSON', type: 'invalid_request_error', code: 400 } });
    }
    const modelId = String(body.model ?? '');
    const model = this.models.get(modelId);
    // Recorded now, not when answered: a request delayed by a fault, which its client gave up
    // on (a timeout), was otherwise counted seconds later, among whatever requests came then.
    const recorded: RecordedRequest = { model: modelId, body, status: 0, headers: withoutAuthorization(req.headers) };
    const number = this.requests.push(recorded);
    const record = (status: number) => (recorded.status = status);
    if (!model) {
      record(404);
      return send(404, { error: { message: `${modelId} is not a valid model ID`, code: 404 } });
    }
    const messages = Array.isArray(body.messages) ? (body.messages as { role: string; content: string }[]) : [];
    if (messages.length === 0) {
      record(400);
      return send(400, { error: { message: 'messages must be a non-empty array', code: 400 } });
    }
    const fault = this.takeFault(modelId);
    if (fault?.delayMs) {
      // The delay ends early when the client goes away: nothing waits on for nobody.
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, fault.delayMs);
        res.once('close', () => (clearTimeout(timer), resolve()));
      });
    }
    if (fault?.drop) {
      req.socket.destroy();
      return;
    }
    if (fault?.status) {
      record(fault.status);
      return send(
        fault.status,
        { error: { message: `simulated ${fault.status}`, code: fault.status } },
        fault.retryAfterSeconds !== undefined
          ? { 'retry-after': String(fault.retryAfterSeconds) }
          : fault.retryAfter
            ? { 'retry-after': fault.retryAfter }
            : {},
      );
    }

    const promptText = messages.map((m) => String(m.content)).join('\n');
    const seed = parseInt(
      createHash('sha256')
        .update(modelId + promptText)
        .digest('hex')
        .slice(0, 8),
      16,
    );
    const format = body.response_format as { type?: string; json_schema?: { name?: string; schema?: JsonSchema } } | undefined;
    let content: string;
    if (fault?.content !== undefined) content = fault.content;
    else if (fault?.invalidJson) content = '{"this is": not json';
    else if (format?.type === 'json_schema' && format.json_schema?.name === TRANSFORMATION_SCHEMA_NAME)
      content = JSON.stringify(transformationAnswer(String(messages.filter((m) => m.role === 'user').at(-1)?.content ?? '')));
    else if (format?.type === 'json_schema' && format.json_schema?.schema) content = JSON.stringify(valueFromSchema(format.json_schema.schema, seed));
    else if (format?.type === 'json_object') content = JSON.stringify({ answer: `simulated answer ${seed % 1000}` });
    else content = `Simulated reply from ${modelId} to: ${String(messages[messages.length - 1]!.content).slice(0, 80)}`;

    const maxTokens = typeof body.max_tokens === 'number' ? body.max_tokens : 4096;
    const promptTokens = tokens(promptText);
    const completionTokens = Math.min(maxTokens, tokens(content));
    const cost = promptTokens * model.promptPrice + completionTokens * model.completionPrice;
    record(200);
    send(200, {
      id: `gen-${seed.toString(16)}-${number}`,
      object: 'chat.completion',
      created: Math.floor(Date.now() / 1000),
      model: modelId,
      choices: [{ index: 0, message: { role: 'assistant', content }, finish_reason: 'stop' }],
      usage: {
        prompt_tokens: promptTokens,
        completion_tokens: completionTokens,
        total_tokens: promptTokens + completionTokens,
        ...(fault?.omitCost ? {} : { cost }),
      },
    });
  }
}
