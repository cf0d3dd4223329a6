import { createHash } from 'node:crypto';

/**
 * A number in [0, 1) fixed by its parts: the simulated sources draw their data from it, so
 * the same item always has the same value however often, and in whatever order, it is asked for.
 */
export function stableUnit(...parts: readonly (string | number)[]): number {
  const hex = createHash('sha256').update(parts.join('\u0000')).digest('hex').slice(0, 12);
  return parseInt(hex, 16) / 2 ** 48;
}

/**
 * Several stable draws from one stable number, each a digit in the base it is asked for (the
 * number read in mixed radix): an item's every choice from one hash of its identity.
 */
export function stableDigits(unit: number): (base: number) => number {
  let rest = unit;
  return (base) => {
    rest *= base;
    const digit = Math.min(base - 1, Math.floor(rest));
    rest -= digit;
    return digit;
  };
}
