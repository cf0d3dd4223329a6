import type { z } from 'zod';
import { MalformedPageError } from '../source';

/**
 * A page that failed its schema as a MalformedPageError a person can act on: which page, which
 * field and what was wrong ("articles[3].seendate is missing"), never the page's content.
 */
export function pageShapeError(page: string, body: unknown, error: z.ZodError): MalformedPageError {
  const issue = error.issues[0]!;
  const where = issue.path.length ? pathText(issue.path) : 'the page';
  const found = valueAt(body, issue.path);
  let problem: string;
  if (found === undefined) problem = 'is missing';
  else if (issue.code === 'invalid_type') problem = `is ${kindOf(found)} where ${article(issue.expected)} is documented`;
  else problem = `is not as documented: ${issue.message}`;
  const more = error.issues.length > 1 ? ` (and ${error.issues.length - 1} more problems)` : '';
  return new MalformedPageError(`${page}: ${where} ${problem}${more}`);
}

function pathText(path: readonly PropertyKey[]): string {
  return path.map((key, i) => (typeof key === 'number' ? `[${key}]` : i === 0 ? String(key) : `.${String(key)}`)).join('');
}

function valueAt(body: unknown, path: readonly PropertyKey[]): unknown {
  let value = body;
  for (const key of path) {
    if (value === null || typeof value !== 'object') return undefined;
    value = (value as Record<PropertyKey, unknown>)[key];
  }
  return value;
}

function kindOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'string') return 'text';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}

function article(expected: string): string {
  if (expected === 'array') return 'a list';
  if (expected === 'string') return 'text';
  return /^[aeiou]/.test(expected) ? `an ${expected}` : `a ${expected}`;
}
