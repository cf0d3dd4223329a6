import type { Principal } from '@conveyor/db';
import type { NextFunction, Request, Response } from 'express';
import { HttpError } from '../http-error';
import type { PrincipalCache } from '../principal-cache';
import type { AuthFailures } from './auth-failures';

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
}

/**
 * Resolves the request's API key to a principal in res.locals, or answers 401. Runs before
 * anything reads the request's body. A client address that sent too many unknown keys gets
 * 429 without a lookup, unless its key is one the cache already knows.
 */
export function authenticate(principals: PrincipalCache, options: AuthenticateOptions = {}) {
  const allowBasic = options.basicRealm !== undefined;
  const challenge = (error?: string) => (allowBasic ? `Basic realm="${options.basicRealm}", charset="UTF-8"` : error ? `Bearer error="${error}"` : 'Bearer');
  return async (req: Request, res: Response, next: NextFunction) => {
    const key = apiKeyOf(req.get('authorization') ?? '', allowBasic);
    if (!key) {
      const how = allowBasic ? 'as the password of HTTP Basic auth or as "Authorization: Bearer <key>"' : 'as "Authorization: Bearer <key>"';
      throw new HttpError(401, 'unauthorized', `Missing API key: send it ${how}`, undefined, { 'WWW-Authenticate': challenge() });
    }
    const address = req.ip ?? 'unknown';
    let principal = principals.cached(key);
    if (!principal) {
      const wait = (await options.failures?.refusal(address)) ?? 0;
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
      principal = await principals.get(key);
    }
    if (!principal) {
      await options.failures?.record(address);
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
