import { z } from 'zod';

/**
 * packages/sim's data-source simulator run on its own (data-main.ts): the five public sources of
 * ingestion on one port, for `npm start` without source URLs and compose's dev profile.
 */
export const dataSimEnvSchema = z.object({
  DATA_SIM_PORT: z.coerce.number().int().min(0).max(65535).default(4030),
  HOST: z.string().default('127.0.0.1'),
});
