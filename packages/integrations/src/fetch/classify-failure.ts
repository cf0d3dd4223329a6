import { FetchRefusedError, SafeFetchError } from './fetch-errors';

/** TLS failures: the host's certificate or protocol is wrong, which another attempt will not fix soon. */
const TLS_CODE = /CERT|^ERR_TLS_|^ERR_SSL_/;

/**
 * The first `code` along an error's cause chain (undici wraps the socket's error in "fetch
 * failed"), else the innermost message. Duck-typed: errors from Node's own modules may come
 * from another realm (under Jest, say), where instanceof Error is false.
 */
function failureText(error: unknown): { code?: string; text: string } {
  let text = String(error);
  for (let e = error, depth = 0; typeof e === 'object' && e !== null && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    const { code, message } = e as { code?: unknown; message?: unknown };
    if (typeof code === 'string') return { code, text: code };
    if (typeof message === 'string') text = message;
  }
  return { text };
}

/**
 * What a fetch's failure becomes: our own refusals unchanged; the caller's abort as the
 * caller's reason (a revoked or shut-down task is not a fetch problem); the time limit as a
 * transient 'timeout'; a TLS failure as permanent; any other network failure (refused, reset,
 * closed early) as transient.
 */
export function classifyFailure(error: unknown, where: string, callerSignal: AbortSignal | undefined, timeout: AbortSignal, timeoutMs: number): unknown {
  if (error instanceof SafeFetchError) return error;
  if (callerSignal?.aborted) return callerSignal.reason;
  if (timeout.aborted) return new FetchRefusedError(`${where} did not answer in full within ${timeoutMs} ms`, 'timeout', false, undefined, { cause: error });
  const { code, text } = failureText(error);
  if (code && TLS_CODE.test(code)) return new FetchRefusedError(`${where}: TLS failed (${code})`, 'tls', true, undefined, { cause: error });
  return new FetchRefusedError(`${where}: the connection failed (${text})`, 'network', false, undefined, { cause: error });
}
