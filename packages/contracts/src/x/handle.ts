import { z } from 'zod';

/**
 * An X handle as X allows it: 1 to 15 letters, digits or underscores (X asks new accounts for
 * at least 4, but older handles are shorter). A leading '@' is accepted and dropped, so the
 * stored handle is the bare name.
 */
export const xHandleSchema = z
  .string()
  .max(100, 'a handle is at most 15 characters')
  .transform((handle) => (handle.startsWith('@') ? handle.slice(1) : handle))
  .pipe(z.string().regex(/^[A-Za-z0-9_]{1,15}$/, "a handle is 1 to 15 letters, digits or underscores, with or without a leading '@' (like @acme_news)"));
