import { createHash } from 'node:crypto';

/**
 * A number in [0, 1) fixed by its parts: the simulated sources draw their data from it, so
 * the same item always has the same value however often, and in whatever order, it is asked for.
 */
export function stableUnit(...parts: readonly (string | number)[]): number {
  const hex = createHash('sha256').update(parts.join('\u0000')).digest('hex').slice(0, 12);
  return parseInt(hex, 16) / 2 ** 48;
}
