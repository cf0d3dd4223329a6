import { TASK_TOKEN_PREFIX, type Principal, type TaskTokenGrant } from '@conveyor/db';
import type { NextFunction, Request, Response } from 'express';
import { HttpError } from '../http-error';
import type { PrincipalCache } from '../principal-cache';
import type { AuthFailures } from './auth-failures';
import { admitTaskTokenRequest, taskTokenOf, taskTokenPrincipal, tokenAsApiKey, unknownTaskToken } from './task-token';

const BEARER = /^Bearer\s+(\S+)$/i;
const BASIC = /^Basic\s+([A-Za-z0-9+/=]+)$/i;

/** The request's API key: `Bearer <key>`, or, where basic is allowed, the password of HTTP Basic auth. */
function apiKeyOf(header: string, allowBasic: boolean): string | undefined {
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
}

const UNKNOWN = { key: 'unknown API keys', token: 'unknown or expired task tokens' };

/** The 429 for an address past its limit of unknown credentials. */
function tooManyFailures(wait: number, credential: keyof typeof UNKNOWN): HttpError {
  return new HttpError(
    429,
    'too_many_failed_authentications',
    `Too many requests with ${UNKNOWN[credential]} from this address; check the ${credential} and retry in ${wait} s`,
    undefined,
    { 'Retry-After': String(wait) },
  );
}

/**
 * Resolves the request's API key, or with findTaskToken its task token (?token=), to a
 * principal in res.locals, or answers 401. Runs before anything reads the request's body. A
 * client address that sent too many unknown keys or tokens gets 429 without a lookup, unless
 * its key is one the cache already knows.
 */
export function authenticate(principals: PrincipalCache, options: AuthenticateOptions = {}) {
  const allowBasic = options.basicRealm !== undefined;
  const challenge = (error?: string) => (allowBasic ? `Basic realm="${options.basicRealm}", charset="UTF-8"` : error ? `Bearer error="${error}"` : 'Bearer');
  /** Looks a credential up unless its address sent too many unknown ones (429); records a miss. */
  const lookUp = async <T>(req: Request, credential: keyof typeof UNKNOWN, find: () => Promise<T | undefined>): Promise<T | undefined> => {
    const address = req.ip ?? 'unknown';
    const wait = (await options.failures?.refusal(address)) ?? 0;
    if (wait > 0) throw tooManyFailures(wait, credential);
    const found = await find();
    if (found === undefined) await options.failures?.record(address);
    return found;
  };
  const byTaskToken = async (req: Request, res: Response, token: string): Promise<Principal> => {
    admitTaskTokenRequest(req, res, token);
    const grant = await lookUp(req, 'token', () => options.findTaskToken!(token));
    if (!grant) throw unknownTaskToken(req);
    return taskTokenPrincipal(grant);
  };
  return async (req: Request, res: Response, next: NextFunction) => {
    const token = options.findTaskToken ? taskTokenOf(req) : undefined;
    if (token !== undefined) {
      res.locals.principal = await byTaskToken(req, res, token);
      return next();
    }
    const key = apiKeyOf(req.get('authorization') ?? '', allowBasic);
    if (!key) {
      const how = allowBasic ? 'as the password of HTTP Basic auth or as "Authorization: Bearer <key>"' : 'as "Authorization: Bearer <key>"';
      throw new HttpError(401, 'unauthorized', `Missing API key: send it ${how}`, undefined, { 'WWW-Authenticate': challenge() });
    }
    if (options.findTaskToken && key.startsWith(TASK_TOKEN_PREFIX)) throw tokenAsApiKey();
    const principal = principals.cached(key) ?? (await lookUp(req, 'key', () => principals.get(key)));
    if (!principal) {
      throw new HttpError(401, 'unauthorized', 'Unknown or revoked API key', undefined, { 'WWW-Authenticate': challenge('invalid_token') });
    }
    res.locals.principal = principal;
    next();
  };
}

/** The tenant the request speaks for; admin keys have none and cannot use tenant routes. */
export function tenantOf(res: Response): string {
  const principal = res.locals.principal as Principal;
  if (!principal.tenantId) {
    throw new HttpError(403, 'tenant_key_required', 'This route acts for a tenant: use a tenant API key, not an admin key');
  }
  return principal.tenantId;
}
