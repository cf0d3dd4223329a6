/**
 * The words of a key (split at -, _, spaces and camelCase) that make its value a secret, at any
 * depth of a line, its top level included. Whole words, so `access_token`, `apiKey`,
 * `x-api-key` and `webhook_secret` are hidden but a count such as `input_tokens` is kept.
 */
const SECRET_WORDS = new Set([
  'pass',
  'passwd',
  'password',
  'passphrase',
  'secret',
  'token',
  'authorization',
  'bearer',
  'cookie',
  'credential',
  'credentials',
  'apikey',
]);
const SECRET_PAIRS = new Set(['api key', 'private key', 'access key', 'session id']);
const REDACTED = '[redacted]';

const verdicts = new Map<string, boolean>();

/** Whether a field of this name holds a secret (remembered for the first thousand names). */
function isSecretKey(key: string): boolean {
  const known = verdicts.get(key);
  if (known !== undefined) return known;
  const words = key
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter(Boolean);
  const secret = words.some((word, i) => SECRET_WORDS.has(word) || (i > 0 && SECRET_PAIRS.has(`${words[i - 1]} ${word}`)));
  if (verdicts.size < 1000) verdicts.set(key, secret);
  return secret;
}

/** A field's value as a log line may show it: hidden when its name is secret, else redacted. */
export function redactField(key: string, value: unknown): unknown {
  return isSecretKey(key) ? REDACTED : redact(value);
}

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
    out[key] = isSecretKey(key) ? REDACTED : redact(inner, depth + 1);
  }
  return out;
}
