import type { z } from 'zod';
import { MalformedPageError } from '../source';

/**
 * The page as the schema reads it, or MalformedPageError saying where it first differs from
 * what the source documents: "page of fred GDP at offset 0: observations is missing". Only the
 * kind of a wrong value is named, never the value (a page may echo what it was sent).
 */
export function parsePage<T extends z.ZodType>(schema: T, body: unknown, where: string): z.output<T> {
  const parsed = schema.safeParse(body, { reportInput: true });
  if (parsed.success) return parsed.data;
  throw new MalformedPageError(`${where}: ${describe(parsed.error.issues[0]!)}`);
}

function describe(issue: z.core.$ZodIssue): string {
  const path = pathText(issue.path);
  if (issue.code === 'invalid_type') return issue.input === undefined ? `${path} is missing` : `${path} is ${kindOf(issue.input)}, not ${issue.expected}`;
  return `${path}: ${issue.message}`;
}

function pathText(path: readonly PropertyKey[]): string {
  if (path.length === 0) return 'the page';
  return path.map((part, i) => (typeof part === 'number' ? `[${part}]` : i === 0 ? String(part) : `.${String(part)}`)).join('');
}

function kindOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}
