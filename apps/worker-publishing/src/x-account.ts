import { PermanentError } from '@conveyor/contracts';
import { type PostRow, findXAccountForTenant } from '@conveyor/db';
import type { XCallAccount } from '@conveyor/integrations';
import type { PublishingDeps } from './publishing-deps';

/**
 * The account a post is published as, with its token from the secrets provider. The token is
 * read at the moment of the call and lives only in the returned object: never in a payload,
 * a row or a log line.
 */
export async function callAccountOf(deps: PublishingDeps, post: PostRow, signal: AbortSignal): Promise<XCallAccount> {
  const account = await findXAccountForTenant(deps.db, post.account_id, post.tenant_id);
  if (!account) throw new PermanentError(`the post's X account ${post.account_id} no longer exists`, 'X_ACCOUNT_NOT_FOUND');
  const token = await deps.secrets.get(account.token_secret_ref, { signal });
  return { accountId: account.id, tier: account.api_tier, token };
}
