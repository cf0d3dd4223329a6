import { z } from 'zod';

const MB = 1024 * 1024;

/**
 * What X accepts as a post's media, by kind (X's media best practices): JPEG, PNG or WebP
 * images up to 5 MB; an animated GIF up to 15 MB; an MP4 or MOV video up to 512 MB. A post
 * carries 1 to 4 images, or one GIF, or one video, never a mix.
 */
export const X_MEDIA_KINDS = {
  image: { mimeTypes: ['image/jpeg', 'image/png', 'image/webp'], maxBytes: 5 * MB, category: 'tweet_image' },
  gif: { mimeTypes: ['image/gif'], maxBytes: 15 * MB, category: 'tweet_gif' },
  video: { mimeTypes: ['video/mp4', 'video/quicktime'], maxBytes: 512 * MB, category: 'tweet_video' },
} as const;

export type XMediaKind = keyof typeof X_MEDIA_KINDS;
export const X_MAX_IMAGES = 4;

/** One media file of a post: where Conveyor fetches it, and what it must turn out to be. */
export const mediaRefSchema = z
  .object({
    url: z.url({ protocol: /^https?$/, error: 'a media url must be an http or https URL' }).max(2048, 'a media url may be at most 2048 characters'),
    kind: z.enum(['image', 'gif', 'video'], { error: 'media kind must be image, gif or video' }),
    alt_text: z.string().min(1).max(1000, 'alt_text may be at most 1000 characters').optional(),
  })
  .strict();

export type MediaRef = z.output<typeof mediaRefSchema>;

/** Why a set of media cannot go on one post, or undefined when it can. */
export function mediaSetProblem(media: readonly MediaRef[]): string | undefined {
  const images = media.filter((m) => m.kind === 'image').length;
  const others = media.length - images;
  if (others > 0 && media.length > 1) return 'a post carries either 1-4 images or a single GIF or video, not a mix or several';
  if (images > X_MAX_IMAGES) return `a post carries at most ${X_MAX_IMAGES} images (got ${images})`;
  return undefined;
}
