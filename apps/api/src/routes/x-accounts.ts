import { type XTier, createXAccountBodySchema, listXAccountsQuerySchema, patchXAccountBodySchema, rawTokenFields } from '@conveyor/contracts';
import { type Database, XAccountHandleTakenError, createXAccount, deleteXAccount, listXAccountsForTenant, updateXAccount } from '@conveyor/db';
import { type Request, Router } from 'express';
import type { Kysely } from 'kysely';
import { encodeNameCursor, nameCursorOf } from '../cursor';
import { HttpError, validationError } from '../http-error';
import { loadXAccount } from '../load-post';
import { tenantOf } from '../middleware/authenticate';
import { parseQuery } from '../query';
import { toXAccountView } from '../post-view';

export interface XAccountRouteDeps {
  db: Kysely<Database>;
  /** The tier of an account registered without one (X_API_TIER). */
  defaultTier: XTier;
}

/**
 * A body that carries a token itself is refused before anything else reads it, naming the
 * field but never its value: the token must stay in the secret store it came from.
 */
function refuseRawTokens(req: Request): unknown {
  const fields = rawTokenFields(req.body);
  if (fields.length)
    throw new HttpError(
      400,
      'raw_token_refused',
      `send token_secret_ref, the name of the secret, never the token itself (found ${fields.join(', ')}); keep the token where the publishing worker reads it, e.g. the environment variable X_TOKEN_ACME, and send "token_secret_ref": "env:X_TOKEN_ACME"`,
      fields.map((path) => ({ path, message: 'a token is never sent to the API; send token_secret_ref instead' })),
    );
  return req.body ?? {};
}

const handleTaken = (error: unknown): never => {
  if (error instanceof XAccountHandleTakenError) throw new HttpError(409, 'x_account_handle_taken', `${error.message} (handles are compared without case)`);
  throw error;
};

/** The tenant's X accounts (README.md, "Publishing to X"): create, list, read, change, delete. */
export function xAccountsRouter(deps: XAccountRouteDeps): Router {
  const router = Router();

  router.post('/x-accounts', async (req, res) => {
    const body = createXAccountBodySchema.safeParse(refuseRawTokens(req));
    if (!body.success) throw validationError(body.error, 'X account');
    const row = await createXAccount(deps.db, { tenant_id: tenantOf(res), ...body.data, api_tier: body.data.api_tier ?? deps.defaultTier }).catch(handleTaken);
    res.status(201).location(`/api/v1/x-accounts/${row.id}`).json(toXAccountView(row));
  });

  router.get('/x-accounts', async (req, res) => {
    const query = parseQuery(req, listXAccountsQuerySchema);
    const rows = await listXAccountsForTenant(deps.db, tenantOf(res), { after: nameCursorOf(query.cursor), limit: query.limit });
    res.json({ x_accounts: rows.map(toXAccountView), next_cursor: rows.length === query.limit ? encodeNameCursor(rows.at(-1)!.handle) : null });
  });

  router.get('/x-accounts/:id', async (req, res) => {
    res.json(toXAccountView(await loadXAccount(deps.db, req, res)));
  });

  router.patch('/x-accounts/:id', async (req, res) => {
    const account = await loadXAccount(deps.db, req, res);
    const body = patchXAccountBodySchema.safeParse(refuseRawTokens(req));
    if (!body.success) throw validationError(body.error, 'X account change');
    const row = await updateXAccount(deps.db, account.id, tenantOf(res), body.data).catch(handleTaken);
    if (!row) throw new HttpError(404, 'x_account_not_found', `No X account ${account.id}`);
    res.json(toXAccountView(row));
  });

  router.delete('/x-accounts/:id', async (req, res) => {
    const account = await loadXAccount(deps.db, req, res);
    const result = await deleteXAccount(deps.db, account.id, tenantOf(res));
    if (!result.ok && result.reason === 'not_found') throw new HttpError(404, 'x_account_not_found', `No X account ${account.id}`);
    if (!result.ok && result.reason === 'in_flight') {
      const posts = result.posts === 1 ? '1 post' : `${result.posts} posts`;
      throw new HttpError(
        409,
        'x_account_in_use',
        `X account @${account.handle} has ${posts} queued or publishing; cancel the queued ones (POST /api/v1/posts/{id}/cancel) or wait until they are published or failed, then delete it`,
      );
    }
    res.status(204).end();
  });

  return router;
}
