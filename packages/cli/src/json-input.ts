import { readFileSync } from 'node:fs';
import { UsageError } from './exit-codes';

/**
 * A JSON object given on the command line: inline ('{"message":"hi"}'), from a file
 * ('@payload.json'), or from standard input ('@-').
 */
export function readJsonObject(value: string, flag: string): Record<string, unknown> {
  let text = value;
  let source = `${flag} value`;
  if (value.startsWith('@')) {
    const file = value.slice(1);
    source = file === '-' ? `${flag} from standard input` : `${flag} file ${file}`;
    try {
      text = readFileSync(file === '-' ? 0 : file, 'utf8');
    } catch (error) {
      throw new UsageError(`Cannot read ${source}: ${(error as Error).message}`);
    }
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new UsageError(`The ${source} is not valid JSON (${(error as Error).message}); pass a JSON object such as '{"message":"hi"}' or @file.json`);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw new UsageError(`The ${source} must be a JSON object ({...})`);
  return parsed as Record<string, unknown>;
}

/** A whole number within bounds, for commander's argument parsers. */
export function integer(flag: string, min: number, max = Number.MAX_SAFE_INTEGER): (value: string) => number {
  return (value) => {
    if (!/^-?\d+$/.test(value.trim())) throw new UsageError(`${flag} takes a whole number (got "${value}")`);
    const n = Number(value);
    if (n < min || n > max) throw new UsageError(`${flag} must be between ${min} and ${max} (got ${n})`);
    return n;
  };
}

const UNIT_MS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/** An instant: an ISO 8601 time, or a duration back from now ("90m", "1h", "2d"). */
export function parseSince(value: string, now = Date.now()): Date {
  const duration = /^(\d+)\s*([smhdw])$/.exec(value.trim());
  if (duration) return new Date(now - Number(duration[1]) * UNIT_MS[duration[2]!]!);
  if (/^\d{4}-\d{2}-\d{2}/.test(value)) {
    const at = new Date(value);
    if (!Number.isNaN(at.getTime())) return at;
  }
  throw new UsageError(`--since takes an ISO time (2025-01-31T09:00:00Z) or a duration back from now such as 30m, 1h, 2d, 1w (got "${value}")`);
}
