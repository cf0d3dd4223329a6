import type { Principal } from '@conveyor/db';
import type { NextFunction, Request, Response } from 'express';
import { HttpError } from '../http-error';
import type { PrincipalCache } from '../principal-cache';

const BEARER = /^Bearer\s+(\S+)$/i;

/** Resolves `Authorization: Bearer <key>` to a principal in res.locals, or answers 401. */
export function authenticate(principals: PrincipalCache) {
  return async (req: Request, res: Response, next: NextFunction) => {
    const match = BEARER.exec(req.get('authorization') ?? '');
    if (!match) {
      throw new HttpError(401, 'unauthorized', 'Missing API key: send it as "Authorization: Bearer <key>"', undefined, {
        'WWW-Authenticate': 'Bearer',
      });
    }
    const principal = await principals.get(match[1]!);
    if (!principal) {
      throw new HttpError(401, 'unauthorized', 'Unknown or revoked API key', undefined, { 'WWW-Authenticate': 'Bearer error="invalid_token"' });
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
