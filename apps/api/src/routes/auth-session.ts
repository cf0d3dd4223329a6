import { signInBodySchema } from '@conveyor/contracts';
import type { Logger } from '@conveyor/observability';
import { type RequestHandler, Router } from 'express';
import { type ConsoleSessions, consoleSessionView } from '../console-sessions';
import { HttpError, validationError } from '../http-error';
import type { AuthFailures } from '../middleware/auth-failures';
import { apiKeyOf, principalOfKey } from '../middleware/authenticate';
import { jsonBody } from '../middleware/json-body';
import { checkCsrf } from '../middleware/session-auth';
import type { PrincipalCache } from '../principal-cache';

const AUTH_SESSION_PATH = '/auth/session';
/** The sign-in body holds one key: nothing bigger is read. */
const SIGN_IN_BODY_BYTES = 1024;

interface SignInDeps {
  sessions: ConsoleSessions;
  principals: PrincipalCache;
  failures: AuthFailures;
  /** The API's rate limit: a sign-in counts against the key's tenant (or admin key) like any request. */
  rateLimit: RequestHandler;
  /** Refuses a query string (no auth route takes one). */
  refuseQuery: RequestHandler;
  logger: Logger;
}

const unknownKey = () => new HttpError(401, 'unauthorized', 'Unknown or revoked API key', undefined, { 'WWW-Authenticate': 'Bearer error="invalid_token"' });

/**
 * Signing in and out of the console, added to the API's router before authenticate (as its
 * own routes rather than a router of their own, which every request would pass through): POST
 * takes the API key itself (in the body, or as Authorization: Bearer), so it reads its one
 * small body before any principal exists; an address past its limit of unknown keys is refused
 * before that. DELETE needs no principal: holding the session's id is what lets one end it.
 */
export function addSignInRoutes(router: Router, deps: SignInDeps): void {
  const throttled: RequestHandler = async (req, _res, next) => {
    const wait = await deps.failures.refusal(req.ip ?? 'unknown');
    if (wait > 0) {
      throw new HttpError(
        429,
        'too_many_failed_authentications',
        `Too many requests with unknown API keys from this address; check the key and retry in ${wait} s`,
        undefined,
        {
          'Retry-After': String(wait),
        },
      );
    }
    next();
  };
  const principal: RequestHandler = async (req, res, next) => {
    const header = req.get('authorization');
    const fromHeader = header === undefined ? undefined : apiKeyOf(header, false);
    if (header !== undefined && !fromHeader) throw unknownKey();
    const body = signInBodySchema.partial().safeParse(req.body ?? {});
    if (!body.success) throw validationError(body.error, 'sign-in');
    if (fromHeader && body.data.api_key)
      throw new HttpError(
        400,
        'ambiguous_credentials',
        'Send the API key once: in the body ({"api_key": "..."}) or as "Authorization: Bearer <key>", not both',
      );
    const key = fromHeader ?? body.data.api_key;
    if (!key)
      throw new HttpError(401, 'unauthorized', 'Missing API key: send {"api_key": "<key>"} as JSON, or "Authorization: Bearer <key>"', undefined, {
        'WWW-Authenticate': 'Bearer',
      });
    const found = await principalOfKey(req, key, deps.principals, deps.failures);
    if (!found) throw unknownKey();
    res.locals.principal = found;
    next();
  };

  router.post(AUTH_SESSION_PATH, deps.refuseQuery, throttled, jsonBody(SIGN_IN_BODY_BYTES), principal, deps.rateLimit, async (req, res) => {
    const session = await deps.sessions.open(req, res, res.locals.principal.keyId);
    // Revoked between the lookup (the key cache) and the insert.
    if (!session) throw unknownKey();
    const { principal } = session;
    deps.logger.info('console sign-in', { key_id: principal.keyId, tenant_id: principal.tenantId, admin: principal.isAdmin });
    res.status(201).json(consoleSessionView(session));
  });

  router.delete(AUTH_SESSION_PATH, deps.refuseQuery, async (req, res) => {
    const sessionId = deps.sessions.idOf(req);
    if (sessionId !== undefined) {
      checkCsrf(req, false);
      await deps.sessions.close(req, res, sessionId);
      deps.logger.info('console sign-out');
    }
    res.set('Cache-Control', 'no-store').status(204).end();
  });
}

/** GET /auth/session: the signed-in session, after authenticate (which found and renewed it). */
export function sessionRouter(): Router {
  return Router().get(AUTH_SESSION_PATH, (_req, res) => {
    const session = res.locals.consoleSession;
    if (!session) {
      throw new HttpError(
        401,
        'no_session',
        'This request has no console session (it came with an API key, not the session cookie): sign in with POST /api/v1/auth/session',
        undefined,
        {
          'WWW-Authenticate': 'Bearer',
        },
      );
    }
    res.set('Cache-Control', 'no-store').json(consoleSessionView(session));
  });
}
