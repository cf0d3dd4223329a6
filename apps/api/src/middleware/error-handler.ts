import { isDatabaseUnavailable } from '@conveyor/db';
import type { Logger } from '@conveyor/observability';
import { isRedisUnavailable } from '@conveyor/queue';
import type { ErrorRequestHandler, RequestHandler } from 'express';
import { HttpError } from '../http-error';

/** body-parser's own errors carry `type`; these are the client's fault, with their status. */
function fromBodyParser(err: { type?: unknown; status?: unknown; limit?: unknown; message?: unknown }): HttpError | undefined {
  switch (err.type) {
    // Refused by jsonBody before parsing: its message says what to change.
    case 'entity.too.deep':
      return new HttpError(400, 'body_too_deep', String(err.message));
    case 'entity.invalid.utf8':
      return new HttpError(400, 'invalid_utf8', String(err.message));
    case 'entity.too.large':
      return new HttpError(413, 'payload_too_large', `Request body is larger than the limit of ${String(err.limit)} bytes`);
    case 'entity.parse.failed':
      return new HttpError(400, 'invalid_json', 'Request body is not valid JSON');
    case 'encoding.unsupported':
    case 'charset.unsupported':
      return new HttpError(415, 'unsupported_encoding', 'Send the body as UTF-8 JSON');
    default:
      return typeof err.status === 'number' && err.status >= 400 && err.status < 500
        ? new HttpError(err.status, 'bad_request', 'The request could not be read')
        : undefined;
  }
}

// Postgres refuses some text that JSON allows: "\u0000" inside jsonb (22P05) or text (22021).
const UNSTORABLE_TEXT = new Set(['22P05', '22021']);

function fromPostgres(err: { code?: unknown }): HttpError | undefined {
  if (typeof err.code === 'string' && UNSTORABLE_TEXT.has(err.code)) {
    return new HttpError(400, 'unstorable_text', 'A string in the request contains a NUL character (\\u0000), which cannot be stored; remove it');
  }
  return undefined;
}

/**
 * Turns every error into a JSON answer: the client's mistakes get 4xx with a message, an
 * unreachable Postgres or Redis gets 503 with Retry-After, and only our own bugs get 500.
 */
export function errorHandler(logger: Logger, retryAfterSeconds: number): ErrorRequestHandler {
  return (err: unknown, _req, res, _next) => {
    let httpError = err instanceof HttpError ? err : (fromBodyParser(err as object) ?? fromPostgres(err as object));
    if (!httpError && (isDatabaseUnavailable(err) || isRedisUnavailable(err))) {
      const which = isDatabaseUnavailable(err) ? 'The database' : 'The queue';
      logger.warn('dependency unavailable', { error: err });
      httpError = new HttpError(503, 'service_unavailable', `${which} is unavailable right now; nothing was changed, retry later`, undefined, {
        'Retry-After': String(retryAfterSeconds),
      });
    }
    if (!httpError) {
      logger.error('unhandled error', { error: err, stack: err instanceof Error ? err.stack?.split('\n').slice(0, 4).join(' | ') : undefined });
      httpError = new HttpError(500, 'internal_error', 'Something went wrong on our side; the request id identifies it in our logs');
    }
    res.set(httpError.headers);
    res.status(httpError.status).json({
      error: httpError.code,
      message: httpError.message,
      ...(httpError.issues ? { issues: httpError.issues } : {}),
      request_id: res.locals.requestId,
    });
  };
}

export const notFound: RequestHandler = (req) => {
  throw new HttpError(404, 'not_found', `No route ${req.method} ${req.path}; the API lives under /api/v1`);
};
