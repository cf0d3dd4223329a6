/** Keys whose values never reach a log line, at any depth. */
const SECRET_KEY = /pass(word)?|secret|token|authorization|api[-_]?key|cookie|credential|private[-_]?key/i;
const REDACTED = '[redacted]';

/**
 * Matches, inside free text, a bearer credential, a URL's `token=` query value (task tokens
 * travel in URLs, for browsers), and anything that looks like a Conveyor API key (cvk_), task
 * token (cvt_), console session id (cvs_) or webhook signing secret (cvw_).
 */
const SECRET_IN_TEXT = /(Bearer\s+)[A-Za-z0-9._~+/=-]{8,}|([?&]token=)[^&#\s"']+|cv[kstw]_[A-Za-z0-9_-]{8,}/g;

/** Returns a copy of value with secret-looking keys and values replaced. */
export function redact(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return value.replace(SECRET_IN_TEXT, (_m, bearer?: string, query?: string) => `${bearer ?? query ?? ''}${REDACTED}`);
  if (value === null || typeof value !== 'object' || depth > 8) return value;
  if (value instanceof Error) return { name: value.name, message: redact(value.message, depth + 1) };
  if (Array.isArray(value)) return value.map((item) => redact(item, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [key, inner] of Object.entries(value)) {
    out[key] = SECRET_KEY.test(key) ? REDACTED : redact(inner, depth + 1);
  }
  return out;
}
