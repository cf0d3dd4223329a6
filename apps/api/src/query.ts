import type { Request } from 'express';
import type { z } from 'zod';
import { HttpError, type Issue, toIssues } from './http-error';

/**
 * Whether the request's URL has a query string at all. Express parses req.query again on
 * every read; the layers every request passes ask this first.
 */
export const hasQueryString = (req: Request): boolean => req.url.includes('?');

/** The issue for a query parameter no route of this kind takes; the same words everywhere. */
export function unknownParameter(name: string, accepted: string[]): Issue {
  return { path: `query.${name}`, message: `unknown parameter; ${accepted.length ? `this route takes ${accepted.join(', ')}` : 'this route takes none'}` };
}

/** A 400 for a bad query string, its issues under `query.`. */
export function queryError(issues: Issue[]): HttpError {
  return new HttpError(400, 'validation_failed', `Invalid query: ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`, issues);
}

/**
 * The request's query string checked against a strict schema: every problem is a 400 whose
 * issues name the parameter (`query.limit`), and an unknown parameter is named with what the
 * route does take.
 */
export function parseQuery<S extends z.ZodObject>(req: Request, schema: S): z.infer<S> {
  const parsed = schema.safeParse(req.query);
  if (parsed.success) return parsed.data;
  const accepted = Object.keys(schema.shape);
  const issues = parsed.error.issues.flatMap((issue): Issue[] =>
    issue.code === 'unrecognized_keys' ? issue.keys.map((key) => unknownParameter(key, accepted)) : toIssues({ issues: [issue] }, 'query'),
  );
  throw queryError(issues);
}
