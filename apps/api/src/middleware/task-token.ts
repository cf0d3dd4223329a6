import { TASK_TOKEN_PREFIX, type Principal, type TaskTokenGrant } from '@conveyor/db';
import type { Request, Response } from 'express';
import { HttpError } from '../http-error';
import { hasQueryString, queryError } from '../query';

// A task token (?token=cvt_...) lets a browser, whose EventSource cannot send an Authorization
// header, read one task. It is accepted on these reads only; loadTask keeps it to its task.
const TOKEN_ROUTES = /^\/tasks\/([^/]+)(?:\/(?:result|events))?\/?$/i;
const TOKEN_METHODS = new Set(['GET', 'HEAD']);
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const WHERE = 'GET /api/v1/tasks/{id}, /api/v1/tasks/{id}/result and /api/v1/tasks/{id}/events';
const challenge = { 'WWW-Authenticate': 'Bearer error="invalid_token"' };

/** The request's ?token=, if it has one; a token given twice is a 400, not a guess. */
export function taskTokenOf(req: Request): string | undefined {
  if (!hasQueryString(req)) return undefined;
  const token = (req.query as Record<string, unknown>).token;
  if (token === undefined || typeof token === 'string') return token;
  throw queryError([{ path: 'query.token', message: 'give one task token, once' }]);
}

/**
 * Checks a request that brings a task token before the token is looked up: it must come
 * alone (no Authorization header as well), on a route that takes one, and be a task token
 * (an API key in a URL ends up in logs and browser history, so it is never accepted there).
 *
 * Every answer to a token request may be read by a page of any origin, without credentials: a
 * token in the URL is not ambient authority, and a page served from a CDN must be able to read
 * why it was refused (an expired token). Nor may a shared cache keep one.
 */
export function admitTaskTokenRequest(req: Request, res: Response, token: string): void {
  res.set({ 'Access-Control-Allow-Origin': '*', 'Cache-Control': 'no-store' });
  if (req.get('authorization') !== undefined) {
    throw new HttpError(400, 'ambiguous_credentials', 'Send either an API key (Authorization header) or a task token (?token=), not both');
  }
  if (!TOKEN_METHODS.has(req.method) || !TOKEN_ROUTES.test(req.path)) {
    throw new HttpError(
      401,
      'task_token_not_accepted',
      `A task token only reads its own task, on ${WHERE}; ${req.method} ${req.baseUrl}${req.path} needs an API key as "Authorization: Bearer <key>"`,
      undefined,
      challenge,
    );
  }
  if (!token.startsWith(TASK_TOKEN_PREFIX)) {
    const isKey = token.startsWith('cvk_');
    throw new HttpError(
      401,
      isKey ? 'api_key_in_url' : 'invalid_task_token',
      isKey
        ? 'An API key is never accepted in the URL (URLs end up in logs and browser history; treat this key as exposed and rotate it): send it as "Authorization: Bearer <key>". ?token= takes a task token (cvt_...) from POST /api/v1/tasks/{id}/tokens'
        : `?token= takes a task token (cvt_...); ${newTokenHint(req)}`,
      undefined,
      challenge,
    );
  }
}

/** The 401 for a token that is unknown or past its expiry. */
export function unknownTaskToken(req: Request): HttpError {
  return new HttpError(401, 'invalid_task_token', `Unknown or expired task token; ${newTokenHint(req)}`, undefined, challenge);
}

/** The principal of a valid token: its task's tenant, kept to that one task. */
export function taskTokenPrincipal(grant: TaskTokenGrant): Principal {
  // A token has no key id; log lines that name the key name the task it reads instead.
  return { keyId: `task-token:${grant.taskId}`, tenantId: grant.tenantId, plan: grant.plan, isAdmin: false, taskScope: grant.taskId };
}

/** The route a client asks a new token of, with the task's id when the path names one. */
function newTokenHint(req: Request): string {
  const id = TOKEN_ROUTES.exec(req.path)?.[1];
  return `ask for a new one with POST /api/v1/tasks/${id && UUID.test(id) ? id : '{id}'}/tokens (with an API key)`;
}

/** The 401 for a task token sent as an API key: a token never stands in for a key. */
export function tokenAsApiKey(): HttpError {
  return new HttpError(
    401,
    'task_token_not_accepted',
    `A task token is not an API key: send it as ?token= on ${WHERE}, and an API key as "Authorization: Bearer <key>"`,
    undefined,
    challenge,
  );
}
