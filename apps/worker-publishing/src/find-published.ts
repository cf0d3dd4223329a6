import { type PostRow, findPostByXPostId } from '@conveyor/db';
import type { XCallAccount, XClient } from '@conveyor/integrations';

/** How far before the recorded request the account's timeline is searched (clock skew with X). */
const LOOK_BACK_MS = 5 * 60_000;

/**
 * Text as X shows it back, for comparison: X wraps every URL in a t.co link and may normalise
 * the text, so URLs compare as one token and the text as its NFC form with outer space trimmed.
 */
function comparableText(text: string): string {
  return text
    .normalize('NFC')
    .replace(/\bhttps?:\/\/\S+/giu, '<url>')
    .trim();
}

/**
 * The X post an earlier attempt made for this post, if any: the account's posts since just
 * before the recorded publish request, with the same text, that no other Conveyor post holds.
 * Asked before sending again whenever a call may have happened, and after X refuses the text
 * as a duplicate.
 */
export async function findPublishedPost(
  db: Parameters<typeof findPostByXPostId>[0],
  x: XClient,
  post: PostRow,
  account: XCallAccount,
  signal: AbortSignal,
): Promise<string | undefined> {
  const since = new Date((post.publish_started_at ?? post.updated_at).getTime() - LOOK_BACK_MS);
  const wanted = comparableText(post.text);
  const candidates = (await x.recentPosts(account, since, { signal })).filter((p) => comparableText(p.text) === wanted);
  // Oldest first: the first call that went through is the one this post made.
  candidates.sort((a, b) => a.created_at.localeCompare(b.created_at));
  for (const candidate of candidates) {
    const holder = await findPostByXPostId(db, post.account_id, candidate.id);
    if (!holder || holder.id === post.id) return candidate.id;
  }
  return undefined;
}
