import { TASK_TOKEN_PREFIX, type Principal, type TaskTokenGrant } from '@conveyor/db';
import type { NextFunction, Request, Response } from 'express';
import type { ConsoleSessions } from '../console-sessions';
import { HttpError } from '../http-error';
import type { PrincipalCache } from '../principal-cache';
import { type FindTenant, actingPrincipal } from './acting-tenant';
import type { AuthFailures } from './auth-failures';
import { checkCsrf, cookieAndKey, sessionEnded } from './session-auth';
import { admitTaskTokenRequest, taskTokenOf, taskTokenPrincipal, tokenAsApiKey, unknownTaskToken } from './task-token';

const BEARER = /^Bearer\s+(\S+)$/i;
const BASIC = /^Basic\s+([A-Za-z0-9+/=]+)$/i;

/** The request's API key: `Bearer <key>`, or, where basic is allowed, the password of HTTP Basic auth. */
export function apiKeyOf(header: string, allowBasic: boolean): string | undefined {
  const bearer = BEARER.exec(header);
  if (bearer) return bearer[1];
  const basic = allowBasic ? BASIC.exec(header) : null;
  if (!basic) return undefined;
  const decoded = Buffer.from(basic[1]!, 'base64').toString('utf8');
  const password = decoded.slice(decoded.indexOf(':') + 1);
  return decoded.includes(':') && password ? password : undefined;
}

export interface AuthenticateOptions {
  /** Pages a browser opens (the queue dashboard): the key may also come by HTTP Basic auth, and a 401 asks for it. */
  basicRealm?: string;
  /** Limits unknown keys per client address; without it they are not limited. */
  failures?: AuthFailures;
  /**
   * Looks up task tokens (?token=, see task-token.ts); without it a request is only ever
   * authenticated by its API key.
   */
  findTaskToken?: (token: string) => Promise<TaskTokenGrant | undefined>;
  /** Console sessions: the conveyor_session cookie stands in for an API key. */
  sessions?: ConsoleSessions;
  /** Looks up the tenant an admin names in X-Conveyor-Tenant; without it the header is not read. */
  findTenant?: FindTenant;
}

const UNKNOWN = { key: 'unknown API keys', token: 'unknown or expired task tokens', session: 'unknown or expired console sessions' };
const CREDENTIAL = { key: 'key', token: 'token', session: 'session (sign in again)' };

/** The 429 for an address past its limit of unknown credentials. */
function tooManyFailures(wait: number, credential: keyof typeof UNKNOWN): HttpError {
  return new HttpError(
    429,
    'too_many_failed_authentications',
    `Too many requests with ${UNKNOWN[credential]} from this address; check the ${CREDENTIAL[credential]} and retry in ${wait} s`,
    undefined,
    { 'Retry-After': String(wait) },
  );
}

/** Looks a credential up unless its address sent too many unknown ones (429); records a miss. */
async function lookUp<T>(req: Request, failures: AuthFailures | undefined, credential: keyof typeof UNKNOWN, find: () => Promise<T | undefined>) {
  const address = req.ip ?? 'unknown';
  const wait = (await failures?.refusal(address)) ?? 0;
  if (wait > 0) throw tooManyFailures(wait, credential);
  const found = await find();
  if (found === undefined) await failures?.record(address);
  return found;
}

/**
 * The principal of an API key (never a task token), or undefined when it is unknown or
 * revoked (counted as a failed authentication of the address). Keys the cache knows skip the
 * address's limit.
 */
export async function principalOfKey(req: Request, key: string, principals: PrincipalCache, failures?: AuthFailures): Promise<Principal | undefined> {
  if (key.startsWith(TASK_TOKEN_PREFIX)) throw tokenAsApiKey();
  return principals.cached(key) ?? (await lookUp(req, failures, 'key', () => principals.get(key)));
}

/**
 * Resolves the request's credential to a principal in res.locals, or answers 401. Runs
 * before anything reads the request's body. The credential is one of: a task token (?token=,
 * with findTaskToken), the console's session cookie (with sessions; an unsafe method also
 * needs X-Conveyor-CSRF), or an API key. A cookie and an Authorization header together are a
 * 400 (on the admin pages, whose browser may hold both, the Authorization header wins). With
 * findTenant an admin may name a tenant to act for (X-Conveyor-Tenant, acting-tenant.ts). A
 * client address that sent too many unknown credentials gets 429 without a lookup, unless its
 * key is one the cache already knows.
 */
export function authenticate(principals: PrincipalCache, options: AuthenticateOptions = {}) {
  const allowBasic = options.basicRealm !== undefined;
  const challenge = (error?: string) => (allowBasic ? `Basic realm="${options.basicRealm}", charset="UTF-8"` : error ? `Bearer error="${error}"` : 'Bearer');
  const byTaskToken = async (req: Request, res: Response, token: string): Promise<Principal> => {
    admitTaskTokenRequest(req, res, token);
    const grant = await lookUp(req, options.failures, 'token', () => options.findTaskToken!(token));
    if (!grant) throw unknownTaskToken(req);
    return taskTokenPrincipal(grant);
  };
  const bySession = async (req: Request, res: Response, sessions: ConsoleSessions, sessionId: string): Promise<Principal> => {
    checkCsrf(req, allowBasic);
    const session = await lookUp(req, options.failures, 'session', () => sessions.find(req, res, sessionId));
    if (!session) {
      sessions.clearCookie(req, res);
      throw sessionEnded(challenge('invalid_token'));
    }
    res.locals.consoleSession = session;
    return session.principal;
  };
  const byKey = async (req: Request, header: string): Promise<Principal> => {
    const key = apiKeyOf(header, allowBasic);
    if (!key) {
      const how = allowBasic ? 'as the password of HTTP Basic auth or as "Authorization: Bearer <key>"' : 'as "Authorization: Bearer <key>"';
      const console = options.sessions ? ', or sign in to the console (POST /api/v1/auth/session)' : '';
      throw new HttpError(401, 'unauthorized', `Missing API key: send it ${how}${console}`, undefined, { 'WWW-Authenticate': challenge() });
    }
    const principal = await principalOfKey(req, key, principals, options.failures);
    if (!principal) {
      throw new HttpError(401, 'unauthorized', 'Unknown or revoked API key', undefined, { 'WWW-Authenticate': challenge('invalid_token') });
    }
    return principal;
  };
  const principalOf = async (req: Request, res: Response): Promise<Principal> => {
    const token = options.findTaskToken ? taskTokenOf(req) : undefined;
    // A task token is explicit; a console page's cookie comes along with it unasked.
    if (token !== undefined) return byTaskToken(req, res, token);
    const header = req.get('authorization');
    const sessionId = options.sessions?.idOf(req);
    if (sessionId === undefined || (allowBasic && header !== undefined)) return byKey(req, header ?? '');
    if (header !== undefined) throw cookieAndKey();
    return bySession(req, res, options.sessions!, sessionId);
  };
  return async (req: Request, res: Response, next: NextFunction) => {
    const principal = await principalOf(req, res);
    res.locals.principal = options.findTenant ? await actingPrincipal(req, principal, options.findTenant) : principal;
    next();
  };
}

/**
 * The tenant the request speaks for: a tenant key's (or session's, or task token's) own, or
 * the one an admin names in X-Conveyor-Tenant (resolved by authenticate). An admin naming none
 * cannot use tenant routes.
 */
export function tenantOf(res: Response): string {
  const principal = res.locals.principal as Principal;
  if (!principal.tenantId) {
    throw new HttpError(
      403,
      'tenant_key_required',
      'This route acts for a tenant: use a tenant API key, not an admin key (or, as an admin, name the tenant in the header "X-Conveyor-Tenant: <tenant id>")',
    );
  }
  return principal.tenantId;
}
