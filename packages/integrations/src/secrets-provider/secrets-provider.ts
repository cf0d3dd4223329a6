/**
 * Turns a secret reference (what Conveyor stores, e.g. x_accounts.token_secret_ref =
 * `env:X_TOKEN_ACME`) into the secret itself, at the moment it is needed. The secret is never
 * stored, logged or put in an error: errors name the reference only.
 */
export interface SecretsProvider {
  get(ref: string, options?: { signal?: AbortSignal }): Promise<string>;
}

/** The reference is well-formed but its backend holds no such secret (or cannot give it: `why` says so, never with the secret). */
export class SecretNotFoundError extends Error {
  override name = 'SecretNotFoundError';
  constructor(
    readonly ref: string,
    why?: string,
  ) {
    super(why ? `secret ${ref} is not available: ${why}` : `secret ${ref} is not set`);
  }
}

/** The reference is not of a form any backend reads (bad scheme, bad name). */
export class InvalidSecretRefError extends Error {
  override name = 'InvalidSecretRefError';
}

/** A reference's scheme and the rest, or undefined when it has no `scheme:` in front. */
export function splitSecretRef(ref: string): { scheme: string; name: string } | undefined {
  const match = /^([a-z][a-z0-9+.-]{0,31}):(.*)$/s.exec(ref);
  return match ? { scheme: match[1]!, name: match[2]! } : undefined;
}

/**
 * How a bad reference is described in an error without repeating it: a value pasted where its
 * reference belongs would be the secret itself, so only its length is told.
 */
export const describeBadRef = (ref: string) => `a reference of ${ref.length} characters`;
