import type { NextFunction, Request, Response } from 'express';
import { HttpError, type Issue } from '../http-error';

const MAX_ISSUES = 10;
// A high surrogate not followed by a low one, or a low one not preceded by a high one.
const UNPAIRED_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Why Postgres would refuse to store this string as text or jsonb, or undefined if it can. */
function unstorable(text: string): string | undefined {
  if (text.includes('\u0000')) return 'contains a NUL character (\\u0000), which cannot be stored; remove it';
  if (UNPAIRED_SURROGATE.test(text)) return 'contains an unpaired UTF-16 surrogate (half of an emoji or other character); send whole characters';
  return undefined;
}

function collect(value: unknown, path: string[], issues: Issue[]): void {
  if (issues.length >= MAX_ISSUES) return;
  const at = (p: string[]) => p.join('.') || '(body)';
  if (typeof value === 'string') {
    const why = unstorable(value);
    if (why) issues.push({ path: at(path), message: why });
  } else if (Array.isArray(value)) {
    value.forEach((item, i) => collect(item, [...path, String(i)], issues));
  } else if (value !== null && typeof value === 'object') {
    for (const [key, item] of Object.entries(value)) {
      const why = unstorable(key);
      if (why) issues.push({ path: at([...path, key]), message: `its key ${why}` });
      collect(item, [...path, key], issues);
    }
  }
}

/**
 * Refuses a JSON body holding a string that Postgres cannot store (a NUL character, an
 * unpaired surrogate) with a 400 that names where it is, before anything is written. Without
 * this such a body passes every schema and fails only in the INSERT, as a 500.
 */
export function storableJson(req: Request, _res: Response, next: NextFunction): void {
  if (req.body === undefined || req.body === null || typeof req.body !== 'object') return next();
  const issues: Issue[] = [];
  collect(req.body, [], issues);
  if (issues.length === 0) return next();
  const summary = issues.map((i) => `${i.path}: ${i.message}`).join('; ');
  next(new HttpError(400, 'unstorable_text', `Invalid request body: ${summary}`, issues));
}
