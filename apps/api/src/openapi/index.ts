import {
  attemptOutcomeSchema,
  ingestionRunStatusSchema,
  ingestionSourceSchema,
  postStatusSchema,
  scheduleKindSchema,
  taskStatusSchema,
  taskTokenQuerySchema,
  xTierSchema,
} from '@conveyor/contracts';
import { type CreateDocumentOptions, type ZodOpenApiPathsObject, createDocument } from 'zod-openapi';
import { authRoutes } from './auth';
import { catalogUsageAdminRoutes } from './catalog-usage-admin';
import { ingestionRoutes } from './ingestion';
import { operationsRoutes } from './operations';
import { type ApiRoute, taskSchemas } from './parts';
import { postRoutes } from './posts';
import { scheduleRoutes } from './schedules';
import { sessionRoutes } from './sessions';
import { taskRoutes } from './tasks';
import { usageRoutes } from './usage';
import { submitRoutes } from './tasks-submit';
import { xAccountRoutes } from './x-accounts';

// The OpenAPI 3.1 document of /api/v1, built from the same zod schemas the routes validate
// with, so it cannot drift from what the API accepts. Served at /docs (a page) and
// /docs/openapi.json. A route added to the API must be added here too: a test compares
// this list with the routes Express serves.
//
// zod-openapi renders each schema as the place it is used in sees it: request bodies and
// parameters as input (a field with a default may be left out), responses as output (it is
// always there). A schema that differs between the two gets a second component, <id>Output.

/** Where the API is mounted; the document's paths are relative to it, so a client joins the two. */
const API_BASE = '/api/v1';

/** Every documented route, in the document's order: tasks, schedules, X accounts and posts, then the rest. */
function routes(): ApiRoute[] {
  const schemas = taskSchemas();
  return [
    ...submitRoutes(schemas),
    ...taskRoutes(schemas),
    ...scheduleRoutes(schemas),
    ...xAccountRoutes(),
    ...postRoutes(),
    ...catalogUsageAdminRoutes(),
    ...operationsRoutes(),
    ...usageRoutes(),
    ...ingestionRoutes(),
    ...sessionRoutes(),
    ...authRoutes(),
  ];
}

/**
 * The closed sets of strings, named once and referenced wherever a field holds one. (Not one a
 * request field defaults to: zod-openapi keeps `default` beside a reference, out of reach of
 * defaultInWords below; openapi.test.ts would say so.)
 */
const ENUMS = {
  TaskStatus: taskStatusSchema,
  AttemptOutcome: attemptOutcomeSchema,
  PostStatus: postStatusSchema,
  ScheduleKind: scheduleKindSchema,
  IngestionSource: ingestionSourceSchema,
  IngestionRunStatus: ingestionRunStatusSchema,
  XTier: xTierSchema,
};

type OpenApiDocument = ReturnType<typeof createDocument>;
let built: OpenApiDocument | undefined;

/** The OpenAPI 3.1 document of the API (built on first use, then kept). */
export function openApiDocument(): OpenApiDocument {
  built ??= build();
  return built;
}

function relative(path: string): string {
  if (!path.startsWith(`${API_BASE}/`)) throw new Error(`The documented route ${path} is not under ${API_BASE}`);
  return path.slice(API_BASE.length);
}

function paths(): ZodOpenApiPathsObject {
  const result: ZodOpenApiPathsObject = {};
  for (const { method, path, request, security, ...operation } of routes()) {
    const item = (result[relative(path)] ??= {});
    const params = { path: request?.params, query: request?.query, header: request?.headers };
    item[method] = {
      ...operation,
      // zod-openapi reads every key it is given: the locations without parameters are left out.
      requestParams: Object.fromEntries(Object.entries(params).filter(([, schema]) => schema !== undefined)),
      ...(request?.body ? { requestBody: request.body } : {}),
      // An API key or the console's session cookie; on the reads a browser makes of one task,
      // also a task token (middleware/task-token.ts).
      security: security ?? [{ apiKey: [] }, { cookieAuth: [] }, ...(request?.query === taskTokenQuerySchema ? [{ taskToken: [] }] : [])],
    };
  }
  return result;
}

/**
 * What a client sends may leave out a field with a default, but openapi-typescript (and other
 * generators) types a property carrying `default` as always present, whatever `required`
 * says. So in request bodies and parameters a default is stated in words, and a generated
 * client's types let the field go. Answers keep `default`, their fields being always there.
 */
const defaultInWords: NonNullable<CreateDocumentOptions['override']> = ({ zodSchema, jsonSchema, io }) => {
  if (io !== 'input' || zodSchema._zod.def.type !== 'default' || !('default' in jsonSchema)) return;
  const said = `Default: ${JSON.stringify(jsonSchema.default)}.`;
  jsonSchema.description = jsonSchema.description ? `${jsonSchema.description} ${said}` : said;
  delete jsonSchema.default;
};

function build(): OpenApiDocument {
  return createDocument(
    {
      openapi: '3.1.0',
      info: {
        title: 'Conveyor API',
        version: '1',
        description:
          'Background tasks for LLM-heavy products: submit, follow, cancel and schedule tasks. Errors are `{error, message, issues?, request_id}` with a message a person can act on.',
      },
      servers: [{ url: API_BASE, description: 'This server' }],
      paths: paths(),
      components: {
        schemas: ENUMS,
        securitySchemes: {
          apiKey: {
            type: 'http',
            scheme: 'bearer',
            description:
              'A tenant API key, or an admin key for /admin and /ingestion routes. An admin (key or session) may act for a tenant on tenant routes by sending "X-Conveyor-Tenant: <tenant id>" (GET /admin/tenants lists them; an unknown tenant is a 404, the header from a tenant a 403)',
          },
          cookieAuth: {
            type: 'apiKey',
            in: 'cookie',
            name: 'conveyor_session',
            description:
              'The console\'s session (POST /auth/session), for the key it signed in with. A request that changes something (POST, PUT, PATCH, DELETE) must also send "X-Conveyor-CSRF: 1" (403 csrf_header_required otherwise); the cookie and an Authorization header together are a 400',
          },
          taskToken: {
            type: 'apiKey',
            in: 'query',
            name: 'token',
            description: 'A task token (POST /tasks/{id}/tokens): reads that one task, its result and its events, until it expires',
          },
        },
      },
    },
    { override: defaultInWords },
  );
}
