import { z } from 'zod';
import { baseEnvSchema } from './schemas';

const positiveInt = z.coerce.number().int().positive();

/**
 * What an app that calls X (worker-publishing) reads besides its worker variables. X_DRY_RUN
 * unset follows NODE_ENV: on in development (`npm start` posts nothing anywhere), off otherwise,
 * including an unset NODE_ENV, which means production. Parse it on its own, as the LLM workers
 * do llmEnvSchema: that default needs a transform over the whole object, so it has no `.shape`
 * to merge into another schema.
 */
export const xApiEnvSchema = z
  .object({
    NODE_ENV: baseEnvSchema.shape.NODE_ENV,
    /** https://api.x.com; npm start points it at the X API simulator when unset. */
    X_API_BASE_URL: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL like https://api.x.com' }).default('https://api.x.com'),
    /** true: nothing is sent to X; posts get marked fake ids (dryrun-…). */
    X_DRY_RUN: z.enum(['true', 'false'], { error: 'must be true or false' }).optional(),
    /** Milliseconds one X request may take before it counts as a timeout. */
    X_API_TIMEOUT_MS: positiveInt.default(30_000),
  })
  .transform(({ NODE_ENV, X_DRY_RUN, ...rest }) => ({ ...rest, X_DRY_RUN: X_DRY_RUN === undefined ? NODE_ENV === 'development' : X_DRY_RUN === 'true' }));

export type XApiEnv = z.infer<typeof xApiEnvSchema>;
