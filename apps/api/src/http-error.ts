import type { ZodError } from 'zod';

export interface Issue {
  path: string;
  message: string;
}

/** An error the client can act on: its status, a stable code and a human message. */
export class HttpError extends Error {
  override name = 'HttpError';
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly issues?: Issue[],
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

/** zod issues as `{path, message}` with an optional path prefix (e.g. "payload"). */
export function toIssues(error: Pick<ZodError, 'issues'>, prefix?: string): Issue[] {
  return error.issues.map((issue) => ({
    path: [prefix, ...issue.path.map(String)].filter(Boolean).join('.') || '(body)',
    message: issue.message,
  }));
}

/** A 400 whose message lists what is wrong, so a person can fix the request from it alone. */
export function validationError(error: ZodError, what: string, prefix?: string): HttpError {
  const issues = toIssues(error, prefix);
  const summary = issues.map((i) => `${i.path}: ${i.message}`).join('; ');
  return new HttpError(400, 'validation_failed', `Invalid ${what}: ${summary}`, issues);
}
