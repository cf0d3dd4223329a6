import { formatBytes } from './byte-size';
import { FetchRefusedError } from './fetch-errors';

/** Statuses that answer "later" rather than "never": request timeout, too early, too many requests. */
const TRANSIENT_4XX = new Set([408, 425, 429]);

export const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);

/** Refuses an answer that is neither 2xx nor a redirect: 5xx and 408/425/429 are transient, the rest permanent. */
export function checkStatus(status: number, where: string): void {
  if (status >= 200 && status < 300) return;
  const permanent = !(status >= 500 || TRANSIENT_4XX.has(status));
  throw new FetchRefusedError(`${where} answered ${status}`, 'status', permanent, status);
}

/** "… allowed for image" when the caller said what it fetches. */
function limitText(maxBytes: number, what: string | undefined): string {
  return `at most ${formatBytes(maxBytes)} allowed${what ? ` for ${what}` : ''}`;
}

/** Refuses at once, before reading a byte, a body whose Content-Length is over the limit. */
export function checkDeclaredLength(headers: Headers, maxBytes: number, where: string, what?: string): void {
  const declared = Number(headers.get('content-length') ?? NaN);
  if (Number.isFinite(declared) && declared > maxBytes) {
    throw new FetchRefusedError(`${where} is ${formatBytes(declared)}; ${limitText(maxBytes, what)}`, 'too_large', true);
  }
}

/** The error for a body that passed the limit while streaming (no or a wrong Content-Length). */
export function tooLargeWhileReading(maxBytes: number, where: string, what?: string): FetchRefusedError {
  return new FetchRefusedError(`${where} is more than ${formatBytes(maxBytes)}; ${limitText(maxBytes, what)}`, 'too_large', true);
}

/**
 * The media type of the answer without parameters (`image/png; charset=…` → `image/png`),
 * lower-case; application/octet-stream when the server names none. Refused when not one of
 * allowedTypes (when given).
 */
export function checkedContentType(headers: Headers, allowedTypes: readonly string[] | undefined, where: string): string {
  const header = headers.get('content-type');
  const essence = header?.split(';')[0]?.trim().toLowerCase() || 'application/octet-stream';
  if (allowedTypes && !allowedTypes.some((type) => type.toLowerCase() === essence)) {
    const stated = header ? essence : 'of no stated type (no Content-Type)';
    throw new FetchRefusedError(`${where} is ${stated}; expected one of ${allowedTypes.join(', ')}`, 'content_type', true);
  }
  return essence;
}
