import type { RouteConfig } from '@asteasolutions/zod-to-openapi';
import {
  TASK_CATALOG,
  TASK_NAMES,
  apiErrorSchema,
  idempotencyKeySchema,
  scheduleIdSchema,
  submitTaskResponseSchema,
  taskIdSchema,
  taskSubmissionSchema,
  taskViewSchema,
} from '@conveyor/contracts';
import { z } from 'zod';

// What the route groups of the OpenAPI document share: response helpers, the errors every
// route can answer, path parameters and the named component schemas.

export const json = (schema: z.ZodType, description: string) => ({ description, content: { 'application/json': { schema } } });
export const error = (description: string) => json(apiErrorSchema, description);
/** A response described in words where the API has no zod schema of its own for it. */
export const object = (description: string) => json(z.object({}).catchall(z.unknown()), description);

const COMMON_ERRORS = {
  401: error('Missing, unknown or revoked API key'),
  429: error("Past the tenant's rate limit (plan requests per minute); see Retry-After"),
  503: error('Postgres or Redis is unreachable; nothing was changed; see Retry-After'),
};
export const taskParams = z.object({ id: taskIdSchema });
export const idempotencyHeader = z.object({
  'idempotency-key': idempotencyKeySchema
    .optional()
    .meta({ description: 'Same as the body\'s idempotency_key (for a batch: item i gets "<key>:<i>" unless it has its own); differing from it is a 400' }),
});
export const scheduleParams = z.object({ id: scheduleIdSchema });

/**
 * The schema as a named component (/components/schemas/<id>). zod's own registry holds the
 * name and refuses a name twice, which is why the document is built once per process.
 */
const named = <T extends z.ZodType>(id: string, schema: T, description?: string): T => schema.meta({ id, ...(description ? { description } : {}) });

/** The route with its tags and the errors every route can answer (its own responses win). */
export const tag = (tags: string[], route: Omit<RouteConfig, 'tags'>): RouteConfig => ({ ...route, tags, responses: { ...COMMON_ERRORS, ...route.responses } });

/** The named schemas the task and schedule routes share; called once per document (see named). */
export function taskSchemas() {
  const taskView = named('TaskView', taskViewSchema);
  const submitted = named('Submitted', submitTaskResponseSchema);
  // One submission per catalog task: the task's own payload schema, not just "an object".
  const submission = z.union(
    TASK_NAMES.map((name) =>
      named(`Submit_${name}`, taskSubmissionSchema.extend({ task: z.literal(name), payload: TASK_CATALOG[name].payload }), TASK_CATALOG[name].description),
    ),
  );
  const results = z.union(TASK_NAMES.map((name) => named(`Result_${name}`, TASK_CATALOG[name].result)));
  return { taskView, submitted, submission, results };
}

export type TaskSchemas = ReturnType<typeof taskSchemas>;
