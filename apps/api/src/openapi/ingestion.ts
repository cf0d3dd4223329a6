import {
  ingestionRecordViewSchema,
  ingestionRunViewSchema,
  ingestionSourceSchema,
  ingestionSourceViewSchema,
  ingestionWindowSchema,
  listIngestionRecordsQuerySchema,
  listIngestionRunsQuerySchema,
  patchIngestionSourceBodySchema,
  runIngestionBodySchema,
} from '@conveyor/contracts';
import { z } from 'zod';
import { type ApiRoute, body, error, json, tag } from './parts';

// Every ingestion route is for admin keys: a tenant key gets 403 before its body is read.
const admin = (route: Omit<ApiRoute, 'tags'>) => tag(['ingestion'], route, 'admin');
const sourceParams = z.object({ source: ingestionSourceSchema });
const unknownSource = error('No such source; the message lists the sources');

/** The admin routes of data ingestion: sources, runs by hand, the audit trail and the records. */
export function ingestionRoutes(): ApiRoute[] {
  return [
    admin({
      method: 'get',
      path: '/api/v1/ingestion/sources',
      operationId: 'listIngestionSources',
      summary: 'Every ingestion source: on or off, cadence, next run, watermark, last success and error, record count (admin key)',
      responses: { 200: json(z.object({ sources: z.array(ingestionSourceViewSchema) }), 'The sources') },
    }),
    admin({
      method: 'patch',
      path: '/api/v1/ingestion/sources/{source}',
      operationId: 'updateIngestionSource',
      summary: "Switch a source's schedule on or off, or change its cadence (admin key)",
      description:
        'The cadence is a five-field cron in UTC, its fires at least a minute apart. A new cadence, or switching on, sets the next run to the next fire after now: times missed while off are not fired.',
      request: { params: sourceParams, body: body(patchIngestionSourceBodySchema) },
      responses: {
        200: json(ingestionSourceViewSchema, 'The source'),
        400: error('Nothing to change, an unknown field, or a cadence that is not a valid five-field cron'),
        404: unknownSource,
        409: error('The source could not be set up just now; retry'),
      },
    }),
    admin({
      method: 'post',
      path: '/api/v1/ingestion/{source}/run',
      operationId: 'runIngestionSource',
      summary: 'Run a source now, enabled or not, for a window or from its watermark (admin key)',
      description:
        'Submits the task ingest_source as the system tenant. A window is a backfill or a re-run and never moves the watermark. The body is optional.',
      request: { params: sourceParams, body: { required: false, content: { 'application/json': { schema: runIngestionBodySchema } } } },
      responses: {
        202: json(
          z.object({
            task_id: z.uuid(),
            status: z.literal('PENDING'),
            source: ingestionSourceSchema,
            window: ingestionWindowSchema.nullable(),
            message: z.string(),
          }),
          'Accepted: the task of the run',
        ),
        400: error('Invalid body or window'),
        404: unknownSource,
      },
    }),
    admin({
      method: 'get',
      path: '/api/v1/ingestion/runs',
      operationId: 'listIngestionRuns',
      summary: 'The audit trail: runs newest first, by source and status (admin key)',
      request: { query: listIngestionRunsQuerySchema },
      responses: {
        200: json(z.object({ runs: z.array(ingestionRunViewSchema), next_cursor: z.string().nullable() }), 'A page of runs'),
        400: error('Invalid query or cursor'),
      },
    }),
    admin({
      method: 'get',
      path: '/api/v1/ingestion/{source}/records',
      operationId: 'listIngestionRecords',
      summary: "A source's records, newest date first and undated ones last, by dates, country and series (admin key)",
      request: { params: sourceParams, query: listIngestionRecordsQuerySchema },
      responses: {
        200: json(z.object({ records: z.array(ingestionRecordViewSchema), next_cursor: z.string().nullable() }), 'A page of records'),
        400: error('Invalid query or cursor'),
        404: unknownSource,
      },
    }),
  ];
}
