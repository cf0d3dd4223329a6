import { consoleSessionSchema, signInBodySchema, tenantListSchema } from '@conveyor/contracts';
import { z } from 'zod';
import { type ApiRoute, error, json, tag } from './parts';

const auth = ['auth'];
const setCookie = z.object({
  'Set-Cookie': z.string().meta({
    description: 'conveyor_session=<opaque>; Path=/; Max-Age=<seconds left>; HttpOnly; SameSite=Strict (and Secure as configured)',
  }),
});

/** The console's sign-in (a session cookie instead of an API key) and the tenants an admin may act for. */
export function authRoutes(): ApiRoute[] {
  const session = consoleSessionSchema.meta({ id: 'ConsoleSession' });
  return [
    tag(
      auth,
      {
        method: 'post',
        path: '/api/v1/auth/session',
        operationId: 'signIn',
        // The key in the body or as a Bearer header; no session is needed to get one.
        security: [{ apiKey: [] }, {}],
        summary: 'Sign in to the console with an API key: answers the session and sets its cookie',
        description:
          'The key comes as {"api_key": "..."} or as "Authorization: Bearer <key>" (not both). The session cookie then authenticates every /api/v1 route; requests that change something must also send "X-Conveyor-CSRF: 1". The session ends CONSOLE_SESSION_TTL_SECONDS after its last use, and at the latest CONSOLE_SESSION_MAX_SECONDS after sign-in; revoking the key ends it at once.',
        request: { body: { required: false, content: { 'application/json': { schema: signInBodySchema } } } },
        responses: {
          201: { ...json(session, 'Signed in'), headers: setCookie },
          400: error('The key sent twice (body and header), or an invalid body'),
          401: error('Missing, unknown or revoked API key (counted as a failed authentication of the address)'),
        },
      },
      'any',
    ),
    tag(
      auth,
      {
        method: 'get',
        path: '/api/v1/auth/session',
        operationId: 'getConsoleSession',
        // Only the cookie has a session to show; with an API key this is a 401 (no_session).
        security: [{ cookieAuth: [] }],
        summary: 'The signed-in console session: who it speaks for and when it ends',
        responses: { 200: json(session, 'The session (its end moved ahead if it was due)'), 401: error('No session cookie, or the session ended') },
      },
      'any',
    ),
    tag(
      auth,
      {
        method: 'delete',
        path: '/api/v1/auth/session',
        operationId: 'signOut',
        // Holding the cookie is what lets one end its session; without one this only clears it.
        security: [{ cookieAuth: [] }, {}],
        summary: 'Sign out: deletes the session and clears its cookie (also when it had already ended)',
        responses: {
          204: { description: 'Signed out', headers: setCookie },
          403: error('The session cookie without "X-Conveyor-CSRF: 1"'),
        },
      },
      'any',
    ),
    tag(
      ['admin'],
      {
        method: 'get',
        path: '/api/v1/admin/tenants',
        operationId: 'listTenants',
        summary: 'Every tenant an admin may act for (X-Conveyor-Tenant), by name (admin key or session)',
        responses: { 200: json(tenantListSchema, 'The tenants') },
      },
      'admin',
    ),
  ];
}
