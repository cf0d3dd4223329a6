import { Router } from 'express';
import swaggerUi from 'swagger-ui-express';
import { openApiDocument } from '../openapi';

/** /docs: the API's OpenAPI document as a page (Swagger UI, served from here) and as JSON. */
export const DOCS_PATH = '/docs';

/** Mount at DOCS_PATH, so API requests pass it with one prefix check. */
export function docsRouter(): Router {
  const document = openApiDocument();
  const router = Router();
  router.get('/openapi.json', (_req, res) => {
    res.json(document);
  });
  router.use(swaggerUi.serve, swaggerUi.setup(document, { customSiteTitle: 'Conveyor API' }));
  return router;
}
