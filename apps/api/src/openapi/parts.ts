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
import type { ZodObjectInput, ZodOpenApiRequestBodyObject, ZodOpenApiResponseObject } from 'zod-openapi';

// What the route groups of the OpenAPI document share: the shape of a route, response
// helpers, the errors every route can answer, path parameters and the named schemas.

/** Who may call a route: a tenant key (most routes; an admin key gets 403), an admin key, or either. */
type Caller = 'tenant' | 'admin' | 'any';

/** One documented route, as a route group writes it; the document's builder (index.ts) renders it. */
export interface ApiRoute {
  method: 'get' | 'post' | 'put' | 'patch' | 'delete';
  /** The path as served, /api/v1 included (the document lists it relative to its server). */
  path: string;
  /** Stable and unique: generated clients name their methods after it. */
  operationId: string;
  tags: string[];
  summary: string;
  description?: string;
  request?: { params?: ZodObjectInput; query?: ZodObjectInput; headers?: ZodObjectInput; body?: ZodOpenApiRequestBodyObject };
  /** Who may call it, when not the usual (an API key or the console's session cookie). */
  security?: Record<string, string[]>[];
  responses: Record<number, ZodOpenApiResponseObject>;
}

export const json = (schema: z.ZodType, description: string): ZodOpenApiResponseObject => ({ description, content: { 'application/json': { schema } } });
/** A required JSON request body. */
export const body = (schema: z.ZodType): ZodOpenApiRequestBodyObject => ({ required: true, content: { 'application/json': { schema } } });
/** A response described in words where the API has no zod schema of its own for it. */
export const object = (description: string) => json(z.object({}).catchall(z.unknown()), description);

/** The one error body (middleware/error-handler.ts), named Error in the document. */
const errorBody = apiErrorSchema.meta({ id: 'Error' });
const retryAfter = z.object({
  'Retry-After': z.string().meta({ description: 'Seconds to wait before retrying' }),
});
export const error = (description: string): ZodOpenApiResponseObject => json(errorBody, description);
/** An error answered with Retry-After: a 429 or 503. */
export const retryLater = (description: string): ZodOpenApiResponseObject => ({ ...error(description), headers: retryAfter });

// What any route can answer, whatever it does: the middleware in front of every route
// (authenticate, rate limit, query refusal, JSON body parsing) and the error handler.
const EVERY_ROUTE = {
  400: error('A malformed id in the path, a query parameter this route does not take, or a body that is not readable JSON; the message says which'),
  401: {
    ...error('Missing, unknown or revoked API key'),
    headers: z.object({ 'WWW-Authenticate': z.string().meta({ description: 'Bearer, with error="invalid_token" for a key not known' }) }),
  },
  429: retryLater(
    "Past the rate limit (the tenant's plan requests per minute, or an admin key's own), or too many unknown keys from this address; see Retry-After",
  ),
  503: retryLater('Postgres or Redis is unreachable; nothing was changed; see Retry-After'),
};
const FORBIDDEN: Record<Caller, Record<number, ZodOpenApiResponseObject>> = {
  tenant: {
    403: error(
      'An admin key or session without X-Conveyor-Tenant (this route acts for a tenant), X-Conveyor-Tenant from a tenant, or the session cookie on a request that changes something without "X-Conveyor-CSRF: 1"',
    ),
  },
  admin: { 403: error('Not an admin key or admin session') },
  any: {},
};
// A JSON body is read, and refused, before the route sees it.
const JSON_BODY_ERRORS: Record<number, ZodOpenApiResponseObject> = {
  413: error('Body over the limit'),
  415: error('A JSON body in another charset than UTF-8'),
};

const takesJson = (route: Omit<ApiRoute, 'tags'>) => route.request?.body?.content['application/json'] !== undefined;

/**
 * The route with its tags and the errors it can answer besides its own: those of every route,
 * 403 by who may call it (a tenant key unless `caller` says otherwise), 413 and 415 where it
 * takes a JSON body. The route's own responses win.
 */
export const tag = (tags: string[], route: Omit<ApiRoute, 'tags'>, caller: Caller = 'tenant'): ApiRoute => ({
  ...route,
  tags,
  responses: {
    ...EVERY_ROUTE,
    ...FORBIDDEN[caller],
    ...(takesJson(route) ? JSON_BODY_ERRORS : {}),
    ...route.responses,
  },
});

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

/** A payload schema that accepts `{}` may be left out: the API submits `{}` for it. */
const payloadOf = (name: (typeof TASK_NAMES)[number]) => {
  const payload = TASK_CATALOG[name].payload;
  return payload.safeParse({}).success ? payload.optional() : payload;
};

/** The named schemas the task and schedule routes share; called once per document (see named). */
export function taskSchemas() {
  const taskView = named('TaskView', taskViewSchema);
  const submitted = named('Submitted', submitTaskResponseSchema);
  // One submission per catalog task, its own payload schema: a union told apart by `task`,
  // so a client narrows it by the task's name.
  const members = TASK_NAMES.map((name) =>
    named(`Submit_${name}`, taskSubmissionSchema.extend({ task: z.literal(name), payload: payloadOf(name) }), TASK_CATALOG[name].description),
  );
  const submission = z.discriminatedUnion('task', members as [(typeof members)[number], ...typeof members]);
  const results = z.union(TASK_NAMES.map((name) => named(`Result_${name}`, TASK_CATALOG[name].result)));
  return { taskView, submitted, submission, results };
}

export type TaskSchemas = ReturnType<typeof taskSchemas>;
