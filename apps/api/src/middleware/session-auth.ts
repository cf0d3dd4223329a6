import type { Request } from 'express';
import { HttpError } from '../http-error';

/** The header a cookie-authenticated request with an unsafe method must carry (a cross-site form cannot send one). */
const CSRF_HEADER = 'x-conveyor-csrf';
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * Refuses a request authenticated by the session cookie that could change something (POST,
 * PUT, PATCH, DELETE…) unless it carries `X-Conveyor-CSRF: 1`: a page of another site can make
 * a browser send the cookie, but not a custom header (that needs CORS, which the API never
 * grants with credentials). Where `sameOriginSuffices` (the admin pages, whose forms cannot
 * set headers), an Origin header naming this server does as well.
 */
export function checkCsrf(req: Request, sameOriginSuffices: boolean): void {
  if (SAFE_METHODS.has(req.method) || req.get(CSRF_HEADER) === '1') return;
  if (sameOriginSuffices && req.get('origin') === `${req.protocol}://${req.get('host')}`) return;
  throw new HttpError(
    403,
    'csrf_header_required',
    `${req.method} with the console's session cookie must carry the header "X-Conveyor-CSRF: 1" (it shows the request comes from a script of the console, not a form of another site); or send an API key as "Authorization: Bearer <key>" instead of the cookie`,
  );
}

/** The 401 for a session cookie that names no live session. */
export function sessionEnded(challenge: string): HttpError {
  return new HttpError(
    401,
    'session_expired',
    'Your console session has ended (it expired, you signed out, or its API key was revoked): sign in again with POST /api/v1/auth/session',
    undefined,
    { 'WWW-Authenticate': challenge },
  );
}

/** The 400 for a cookie and an Authorization header on one request. */
export function cookieAndKey(): HttpError {
  return new HttpError(
    400,
    'ambiguous_credentials',
    'Send either the console session cookie or an API key (Authorization header), not both: leave out the Authorization header in the console, or the cookie in scripts',
  );
}
