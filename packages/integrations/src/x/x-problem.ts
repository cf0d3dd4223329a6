/**
 * What an X error body says, in one line: the `errors` messages of a 400 (they name the bad
 * parameter) or else the problem's `detail`/`title`. X's bodies never echo the request's
 * Authorization header, so this text is safe to put in an error message.
 */
export function problemText(body: unknown): string {
  if (!body || typeof body !== 'object') return '';
  const { errors, detail, title } = body as { errors?: unknown; detail?: unknown; title?: unknown };
  const messages = Array.isArray(errors)
    ? errors
        .map((e: { message?: unknown; detail?: unknown }) => (typeof e?.message === 'string' ? e.message : typeof e?.detail === 'string' ? e.detail : ''))
        .filter(Boolean)
    : [];
  if (messages.length) return messages.join('; ');
  if (typeof detail === 'string' && detail) return detail;
  return typeof title === 'string' ? title : '';
}

/** X's problem type for a field the caller may not read (another user's non_public_metrics). */
const FIELD_AUTHORIZATION_TYPE = 'https://api.twitter.com/2/problems/not-authorized-for-field';

/** Whether an error entry (or a whole problem body) is X's Field Authorization Error. */
export function isFieldAuthorizationError(entry: unknown): boolean {
  if (!entry || typeof entry !== 'object') return false;
  const { type, title } = entry as { type?: unknown; title?: unknown };
  return type === FIELD_AUTHORIZATION_TYPE || title === 'Field Authorization Error';
}
