import { createXAccountBodySchema, listXAccountsQuerySchema, patchXAccountBodySchema, xAccountIdSchema, xAccountViewSchema } from '@conveyor/contracts';
import { z } from 'zod';
import { type ApiRoute, body, error, json, tag } from './parts';

const accounts = ['x-accounts'];
const params = z.object({ id: xAccountIdSchema });

/** A tenant's X accounts: create, list, read, change, delete. */
export function xAccountRoutes(): ApiRoute[] {
  const view = xAccountViewSchema.meta({ id: 'XAccount' });
  const refused =
    'Invalid body: the message names each field. A body carrying a token itself (token, access_token, bearer…) is refused: send token_secret_ref, the name of the secret';
  return [
    tag(accounts, {
      method: 'post',
      path: '/api/v1/x-accounts',
      operationId: 'createXAccount',
      summary: 'Add an X account: its handle, API tier and the name of the secret holding its OAuth token',
      request: { body: body(createXAccountBodySchema) },
      responses: {
        201: json(view, 'The account'),
        400: error(refused),
        409: error('The tenant has an account with this handle already (compared without case)'),
      },
    }),
    tag(accounts, {
      method: 'get',
      path: '/api/v1/x-accounts',
      operationId: 'listXAccounts',
      summary: "The tenant's X accounts, by handle, cursor-paged",
      request: { query: listXAccountsQuerySchema },
      responses: {
        200: json(z.object({ x_accounts: z.array(view), next_cursor: z.string().nullable() }), 'A page of accounts'),
        400: error('Invalid query or cursor'),
      },
    }),
    tag(accounts, {
      method: 'get',
      path: '/api/v1/x-accounts/{id}',
      operationId: 'getXAccount',
      summary: 'An X account',
      request: { params },
      responses: { 200: json(view, 'The account'), 404: error('No such account for this tenant') },
    }),
    tag(accounts, {
      method: 'patch',
      path: '/api/v1/x-accounts/{id}',
      operationId: 'updateXAccount',
      summary: "Change an account's handle, tier or token secret name",
      request: { params, body: body(patchXAccountBodySchema) },
      responses: {
        200: json(view, 'The account'),
        400: error(refused),
        404: error('No such account for this tenant'),
        409: error('The tenant has an account with this handle already'),
      },
    }),
    tag(accounts, {
      method: 'delete',
      path: '/api/v1/x-accounts/{id}',
      operationId: 'deleteXAccount',
      summary: 'Delete an account with its posts and their metrics',
      request: { params },
      responses: {
        204: { description: 'Deleted' },
        404: error('No such account for this tenant'),
        409: error('Some of its posts are queued or publishing; the message says how many'),
      },
    }),
  ];
}
