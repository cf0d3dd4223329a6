import { z } from 'zod';
import { jsonText } from './json-text';

// The shapes of the inference router's overrides as the environment gives them. They live
// here, free of I/O, so that the config package can hold the LLM workers' env schema without
// depending on the router (and its SDK); the router checks the merged routes itself.

const routeOverride = z
  .object({
    model: z.string().min(1),
    maxTokens: z.number().int().positive(),
    temperature: z.number().min(0).max(2),
    fallbacks: z.array(z.string().min(1)).max(5),
  })
  .partial()
  .strict();

/** INFERENCE_ROUTES: JSON of task → partial route. */
export const routeOverridesSchema = jsonText(z.record(z.string(), routeOverride), '{"score_post":{"maxTokens":300}}');
/** MODEL_PRICES: JSON of model → {prompt, completion} in USD per million tokens. */
export const priceOverridesSchema = jsonText(
  z.record(z.string(), z.object({ prompt: z.number().min(0), completion: z.number().min(0) }).strict()),
  '{"vendor/model":{"prompt":1,"completion":2}}',
);
