import { z } from 'zod';
import { mediaRefSchema, mediaSetProblem } from './media';
import { X_MAX_WEIGHTED_LENGTH, weightedLength } from './text';

/** A post's text as X checks it: 1 to 280 weighted characters (a URL 23, an emoji or CJK character 2). */
export const postTextSchema = z
  .string()
  .max(20_000, 'text is far over X’s 280-character limit')
  .refine((text) => text.trim().length > 0, 'text must not be empty')
  .superRefine((text, ctx) => {
    const length = weightedLength(text);
    if (length > X_MAX_WEIGHTED_LENGTH)
      ctx.addIssue({
        code: 'custom',
        message: `text is ${length} weighted characters; X allows ${X_MAX_WEIGHTED_LENGTH} (a URL counts 23, an emoji or CJK character 2)`,
      });
  });

/** A post's media references, checked against X's per-post rules. */
export const postMediaSchema = z
  .array(mediaRefSchema)
  .max(4, 'a post carries at most 4 media files')
  .superRefine((media, ctx) => {
    const problem = mediaSetProblem(media);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  });
