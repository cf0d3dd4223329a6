import type { z } from 'zod';
import { ConfigError } from './config-error';
import { resolveSecretFiles } from './secret-files';

type Env = Record<string, string | undefined>;

/**
 * Parses the environment once with the app's schema. Empty strings count as unset so that
 * `FOO=` in an env file falls back to the default instead of failing as "not a number".
 * `FOO_FILE=/run/secrets/foo` reads FOO from a file (see resolveSecretFiles).
 */
export function parseEnv<S extends z.ZodType>(schema: S, env: Env = process.env): z.infer<S> {
  const cleaned: Env = {};
  for (const [key, value] of Object.entries(env)) if (value !== '') cleaned[key] = value;
  const withSecrets = resolveSecretFiles(schema, cleaned);
  const parsed = schema.safeParse(withSecrets);
  if (parsed.success) return parsed.data;
  const variables = [...new Set(parsed.error.issues.map((issue) => String(issue.path[0] ?? '(root)')))];
  const lines = parsed.error.issues.map((issue) => `  ${issue.path.join('.') || '(root)'}: ${issue.message}`);
  throw new ConfigError(`Invalid configuration:\n${lines.join('\n')}`, variables);
}

/**
 * For an app's main: parse, or print which variables are wrong and exit with status 78
 * (EX_CONFIG), before anything connects anywhere.
 */
export function loadConfigOrExit<S extends z.ZodType>(schema: S, service: string, env: Env = process.env): z.infer<S> {
  try {
    return parseEnv(schema, env);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${service}: ${error.message}\nSee .env.example for every variable and its meaning.\n`);
      process.exit(78);
    }
    throw error;
  }
}
