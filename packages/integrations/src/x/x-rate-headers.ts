import type { XRateHeaders } from './call-limiter';

/**
 * The x-rate-limit-* headers of an answer, or undefined when X sent none (a 401 has none:
 * there is no user to count against) or they are not numbers.
 */
export function rateHeadersOf(headers: { get(name: string): string | null }): XRateHeaders | undefined {
  const read = (name: string) => {
    const value = headers.get(`x-rate-limit-${name}`);
    const number = value === null || value.trim() === '' ? Number.NaN : Number(value);
    return Number.isFinite(number) ? number : undefined;
  };
  const limit = read('limit');
  const remaining = read('remaining');
  const resetEpochSec = read('reset');
  if (limit === undefined || remaining === undefined || resetEpochSec === undefined) return undefined;
  return { limit, remaining, resetEpochSec };
}
