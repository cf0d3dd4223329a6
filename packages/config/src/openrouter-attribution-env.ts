import { z } from 'zod';

/** What an HTTP header may carry as given: printable ASCII (no line breaks, no control characters). */
const PRINTABLE_ASCII = /^[\x20-\x7e]+$/;

/**
 * OpenRouter's app attribution (https://openrouter.ai/docs/app-attribution): the headers sent
 * on every call to the provider, chat completions and the model list alike. Read by the LLM
 * workers with the rest of llmEnvSchema.
 */
export const openRouterAttributionEnvSchema = z.object({
  /**
   * HTTP-Referer: the URL of the site or app that uses OpenRouter, which OpenRouter ranks and
   * shows usage under. Unset (the default): the header is not sent, so no deployment claims a
   * site that is not its own.
   */
  OPENROUTER_REFERER: z
    .url({ protocol: /^https?$/, error: 'must be an http:// or https:// URL (the site OpenRouter attributes calls to)' })
    // A value the URL check refused already is not judged again (zod runs every check).
    .refine((value) => !URL.canParse(value) || (!new URL(value).username && !new URL(value).password), {
      error: 'must not carry a user name or password: it is sent to the provider as a header',
    })
    .transform((value) => new URL(value).href)
    .optional(),
  /** X-Title: the app's name as OpenRouter shows it. */
  OPENROUTER_TITLE: z
    .string()
    .max(100, { error: 'must be at most 100 characters' })
    .regex(PRINTABLE_ASCII, { error: 'must be printable ASCII (letters, digits, spaces, punctuation): it is sent as a header' })
    .default('Conveyor'),
});
