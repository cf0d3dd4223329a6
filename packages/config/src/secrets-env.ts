import { z } from 'zod';

/**
 * Where getSecret(name) looks, in order: the secrets directory when set (a file per name, as
 * Docker and Kubernetes mount secrets), then the environment (always last, the fallback).
 */
export const secretsEnvSchema = z.object({
  /** A directory holding a file per secret (/run/secrets); unset: the environment only. set-secret writes here. */
  SECRETS_DIR: z.string().min(1).optional(),
  /** Milliseconds a secret read is reused before it is read again (a rotated file is seen after at most this); 0 reads every time. */
  SECRETS_CACHE_TTL_MS: z.coerce.number().int().min(0, 'must be 0 (no cache) or more milliseconds').default(60_000),
});

export type SecretsEnv = z.infer<typeof secretsEnvSchema>;
