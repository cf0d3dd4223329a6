/**
 * One place getSecret looks. `read` gives undefined when the place has no such secret (the next
 * place is tried); it throws only when the place cannot answer, and never with the value.
 */
export interface SecretBackend {
  /** Short label for metrics: directory, env, gsm. */
  readonly kind: string;
  /** Where this backend looks for a name, for the not-found error ("/run/secrets/x", "the environment variable X"). */
  describe(name: string): string;
  read(name: string, options?: { signal?: AbortSignal }): Promise<string | undefined>;
  /** Present on a backend set-secret can write to. */
  write?(name: string, value: string): Promise<void>;
  /** Present on a backend holding connections. */
  close?(): Promise<void>;
}

/** A secret could not be stored (no writable backend, or the write failed); the message names the place, never the value. */
export class SecretWriteError extends Error {
  override name = 'SecretWriteError';
}
