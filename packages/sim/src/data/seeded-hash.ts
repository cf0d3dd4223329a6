/**
 * A 32-bit FNV-1a hash of a text: the simulated sources draw every generated value from one of
 * these (seeded by the item's time and index), so the same moment always yields the same data.
 */
export function seededHash(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  // A final avalanche (from murmur3) so that neighbouring seeds differ in every bit.
  hash ^= hash >>> 16;
  hash = Math.imul(hash, 0x85ebca6b);
  hash ^= hash >>> 13;
  hash = Math.imul(hash, 0xc2b2ae35);
  hash ^= hash >>> 16;
  return hash >>> 0;
}

/** The entry of `list` a hash picks; `shift` takes other bits of the same hash for a second choice. */
export function pickBy<T>(list: readonly T[], hash: number, shift = 0): T {
  return list[(hash >>> shift) % list.length]!;
}
