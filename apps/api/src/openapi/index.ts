import { OpenAPIRegistry, OpenApiGeneratorV31, type RouteConfig } from '@asteasolutions/zod-to-openapi';
import { catalogUsageAdminRoutes } from './catalog-usage-admin';
import { ingestionRoutes } from './ingestion';
import { taskSchemas } from './parts';
import { postRoutes } from './posts';
import { scheduleRoutes } from './schedules';
import { sessionRoutes } from './sessions';
import { taskRoutes } from './tasks';
import { submitRoutes } from './tasks-submit';
import { xAccountRoutes } from './x-accounts';

// The OpenAPI 3.1 document of /api/v1, built from the same zod schemas the routes validate
// with, so it cannot drift from what the API accepts. Served at /docs (a page) and
// /docs/openapi.json. A route added to the API must be added here too: a test compares
// this list with the routes Express serves.

/** Every documented route, in the document's order: tasks, schedules, X accounts and posts, then the rest. */
function routes(): RouteConfig[] {
  const schemas = taskSchemas();
  return [
    ...submitRoutes(schemas),
    ...taskRoutes(schemas),
    ...scheduleRoutes(schemas),
    ...xAccountRoutes(),
    ...postRoutes(),
    ...catalogUsageAdminRoutes(),
    ...ingestionRoutes(),
    ...sessionRoutes(),
  ];
}

type OpenApiDocument = ReturnType<OpenApiGeneratorV31['generateDocument']>;
let built: OpenApiDocument | undefined;

/** The OpenAPI 3.1 document of the API (built on first use, then kept). */
export function openApiDocument(): OpenApiDocument {
  built ??= build();
  return built;
}

function build(): OpenApiDocument {
  const registry = new OpenAPIRegistry();
  registry.registerComponent('securitySchemes', 'apiKey', {
    type: 'http',
    scheme: 'bearer',
    description: 'A tenant API key, or an admin key for /admin routes',
  });
  for (const route of routes()) registry.registerPath({ ...route, security: [{ apiKey: [] }] });
  return new OpenApiGeneratorV31(registry.definitions).generateDocument({
    openapi: '3.1.0',
    info: {
      title: 'Conveyor API',
      version: '1',
      description:
        'Background tasks for LLM-heavy products: submit, follow, cancel and schedule tasks. Errors are `{error, message, issues?}` with a message a person can act on.',
    },
  });
}
