import { randomUUID } from 'node:crypto';
import { withLogContext } from '@conveyor/observability';
import type { RequestHandler } from 'express';

const CLIENT_ID = /^[A-Za-z0-9._:-]{1,100}$/;

/**
 * Gives every request a correlation id (the client's X-Request-Id when it is sane, else a
 * new one), echoes it in the response and puts it on every log line of the request.
 */
export const requestContext: RequestHandler = (req, res, next) => {
  const incoming = req.get('x-request-id');
  const requestId = incoming && CLIENT_ID.test(incoming) ? incoming : randomUUID();
  res.locals.requestId = requestId;
  res.setHeader('X-Request-Id', requestId);
  withLogContext({ request_id: requestId }, next);
};
