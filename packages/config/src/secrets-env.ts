import { z } from 'zod';

/**
 * Where getSecret(name) looks, in order: the secrets directory when set (a file per name, as
 * Docker and Kubernetes mount secrets), Google Secret Manager when enabled, then the environment
 * (always last, the fallback).
 */
export const secretsEnvSchema = z
  .object({
    /** A directory holding a file per secret (/run/secrets); unset: not looked in. set-secret writes here unless Secret Manager is enabled. */
    SECRETS_DIR: z.string().min(1).optional(),
    /** Milliseconds a secret read is reused before it is read again (a rotated secret is seen after at most this); 0 reads every time. */
    SECRETS_CACHE_TTL_MS: z.coerce.number().int().min(0, 'must be 0 (no cache) or more milliseconds').default(60_000),
    /** true: Google Secret Manager is looked in (after the directory) and set-secret adds versions there. */
    SECRET_MANAGER_ENABLED: z
      .enum(['true', 'false'], { error: 'must be true or false' })
      .default('false')
      .transform((v) => v === 'true'),
    /** The Google Cloud project whose secrets are read; required when SECRET_MANAGER_ENABLED=true. */
    GCP_PROJECT_ID: z.string().min(1).optional(),
    /** http(s)://host:port of a Secret Manager emulator or simulator, reached without credentials; unset: Google with Application Default Credentials. */
    SECRET_MANAGER_ENDPOINT: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL like http://127.0.0.1:8085' }).optional(),
  })
  .superRefine((env, ctx) => {
    if (env.SECRET_MANAGER_ENABLED && !env.GCP_PROJECT_ID)
      ctx.addIssue({ code: 'custom', path: ['GCP_PROJECT_ID'], message: 'required when SECRET_MANAGER_ENABLED=true: the project whose secrets are read' });
  });

export type SecretsEnv = z.infer<typeof secretsEnvSchema>;
