import { PermanentError, X_MEDIA_KINDS, mediaRefSchema } from '@conveyor/contracts';
import { type PostRow, findPost, recordPostMediaIds } from '@conveyor/db';
import type { XCallAccount } from '@conveyor/integrations';
import type { Logger } from '@conveyor/observability';
import { z } from 'zod';
import type { PublishingDeps } from './publishing-deps';

const mediaRefsSchema = z.array(mediaRefSchema);
/** The states in which a post's media may still be uploaded and recorded. */
const UPLOADING_STATES = new Set(['draft', 'scheduled', 'queued', 'publishing']);

/**
 * Uploads each of the post's media that has no X media id yet, keeping each id on the post as
 * soon as its upload is done: a retried publish, or a publish after prepare_media, uploads
 * nothing twice. Returns the ids in the order of the post's media references.
 */
export async function uploadMissingMedia(
  deps: PublishingDeps,
  post: PostRow,
  account: XCallAccount,
  ctx: { signal: AbortSignal; logger: Logger },
): Promise<{ mediaIds: string[]; uploaded: number }> {
  const refs = mediaRefsSchema.parse(post.media_refs);
  let ids = post.media_ids.slice(0, refs.length);
  let uploaded = 0;
  for (const [index, ref] of refs.entries()) {
    if (ids[index]) continue;
    const file = await deps.fetchMedia(ref, ctx.signal);
    const { mediaId } = await deps.x.uploadMedia(
      account,
      { bytes: file.bytes, mimeType: file.contentType, category: X_MEDIA_KINDS[ref.kind].category },
      { signal: ctx.signal },
    );
    uploaded += 1;
    const next = [...ids];
    next[index] = mediaId;
    if (await recordPostMediaIds(deps.db, post.id, ids, next)) {
      ids = next;
    } else {
      // Another task (prepare_media beside publish_post) recorded ids meanwhile: take theirs.
      const fresh = await findPost(deps.db, post.id);
      if (!fresh || !UPLOADING_STATES.has(fresh.status))
        throw new PermanentError(`post ${post.id} is ${fresh?.status ?? 'gone'}; its media are no longer uploaded`, 'POST_MOVED_ON');
      ctx.logger.warn('media ids changed while uploading; using the recorded ones', { post_id: post.id });
      if (!fresh.media_ids[index]) return uploadMissingMedia(deps, fresh, account, ctx);
      ids = fresh.media_ids.slice(0, refs.length);
    }
    ctx.logger.info('media uploaded to X', { post_id: post.id, index, kind: ref.kind, bytes: file.bytes.length });
  }
  return { mediaIds: ids, uploaded };
}
