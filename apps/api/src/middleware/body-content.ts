import type { NextFunction, Request, Response } from 'express';
import { HttpError, type Issue } from '../http-error';

const MAX_ISSUES = 10;
// A high surrogate not followed by a low one, or a low one not preceded by a high one.
const UNPAIRED_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
/**
 * Keys that JSON.parse keeps as plain properties but that any later `obj[key] = value`
 * (zod's object and record parsing among them) turns into prototype changes: the value was
 * silently dropped, or worse. They are refused wherever they appear.
 */
const PROTOTYPE_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

/** Why Postgres would refuse to store this string as text or jsonb, or undefined if it can. */
function unstorable(text: string): string | undefined {
  if (text.includes('\u0000')) return 'contains a NUL character (\\u0000), which cannot be stored; remove it';
  if (UNPAIRED_SURROGATE.test(text)) return 'contains an unpaired UTF-16 surrogate (half of an emoji or other character); send whole characters';
  return undefined;
}

interface Found {
  issues: Issue[];
  prototypeKey: boolean;
}

// Recursive, but only ever over a body whose nesting jsonBody already bounded.
function collect(value: unknown, path: string[], found: Found): void {
  if (found.issues.length >= MAX_ISSUES) return;
  const at = (p: string[]) => p.join('.') || '(body)';
  if (typeof value === 'string') {
    const why = unstorable(value);
    if (why) found.issues.push({ path: at(path), message: why });
  } else if (Array.isArray(value)) {
    value.forEach((item, i) => collect(item, [...path, String(i)], found));
  } else if (value !== null && typeof value === 'object') {
    for (const [key, item] of Object.entries(value)) {
      if (PROTOTYPE_KEYS.has(key)) {
        found.prototypeKey = true;
        found.issues.push({ path: at([...path, key]), message: `the key "${key}" is not allowed anywhere in a body; rename it` });
        continue;
      }
      const why = unstorable(key);
      if (why) found.issues.push({ path: at([...path, key]), message: `its key ${why}` });
      collect(item, [...path, key], found);
    }
  }
}

/**
 * Refuses a JSON body holding a string Postgres cannot store (a NUL character, an unpaired
 * surrogate) or a key that would reach an object's prototype (`__proto__`, `constructor`,
 * `prototype`), with a 400 that names where it is, before anything reads it. Without this the
 * first passes every schema and fails only in the INSERT, as a 500, and the second vanishes.
 */
export function bodyContent(req: Request, _res: Response, next: NextFunction): void {
  if (req.body === undefined || req.body === null || typeof req.body !== 'object') return next();
  const found: Found = { issues: [], prototypeKey: false };
  collect(req.body, [], found);
  if (found.issues.length === 0) return next();
  const summary = found.issues.map((i) => `${i.path}: ${i.message}`).join('; ');
  next(new HttpError(400, found.prototypeKey ? 'forbidden_key' : 'unstorable_text', `Invalid request body: ${summary}`, found.issues));
}
