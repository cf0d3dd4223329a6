// Error codes that mean "Postgres cannot be reached or is going away", as opposed to a bad
// query: class 08 (connection exception), 57P01-57P03 (shutdown, cannot connect now), 53300
// (too many connections).
const PG_UNAVAILABLE_CODES = new Set(['57P01', '57P02', '57P03', '53300']);
const SOCKET_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EHOSTUNREACH', 'EAI_AGAIN']);
const MESSAGES = [
  /Connection terminated/i,
  /Query read timeout/i,
  /timeout exceeded when trying to connect/i,
  /Client has encountered a connection error/i,
  /the database system is (starting up|shutting down)/i,
];

/** True when err says Postgres is unreachable: the caller should answer 503, not 500. */
export function isDatabaseUnavailable(err: unknown): boolean {
  // Duck-typed rather than instanceof: errors can come from another realm (Jest's sandbox, workers).
  if (typeof err !== 'object' || err === null) return false;
  const { code, message, errors } = err as { code?: unknown; message?: unknown; errors?: unknown };
  if (typeof code === 'string' && (code.startsWith('08') || PG_UNAVAILABLE_CODES.has(code) || SOCKET_CODES.has(code))) return true;
  if (Array.isArray(errors) && errors.some(isDatabaseUnavailable)) return true;
  return typeof message === 'string' && MESSAGES.some((re) => re.test(message));
}
