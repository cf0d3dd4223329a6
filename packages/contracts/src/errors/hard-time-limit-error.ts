/** An attempt that ran past its hard time limit: failed as transient, its late result ignored. */
export class HardTimeLimitError extends Error {
  override name = 'HardTimeLimitError';
  constructor(
    readonly limitMs: number,
    options?: ErrorOptions,
  ) {
    super(`hard time limit of ${limitMs} ms reached; the attempt was abandoned`, options);
  }
}
