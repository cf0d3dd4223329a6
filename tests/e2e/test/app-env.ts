import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import * as config from '@conveyor/config';
import { type AppEntry, type AppName, apiEnvSchema, parseEnv, schedulerEnvSchema, workerEnvSchema } from '@conveyor/config';

type Schema = Parameters<typeof parseEnv>[0];

// What the deployment checks (compose-check.ts, k8s-check.ts) share about an app's environment.

/**
 * A variable whose value is a secret by its name: it must come from a secret store, never from a
 * file of the repository. The secret store's own settings (SECRETS_DIR, SECRETS_CACHE_TTL_MS,
 * SECRET_MANAGER_*) say where secrets are and are not secrets.
 */
export const SECRET_NAME = /^(?!SECRETS_DIR$|SECRETS_CACHE_TTL_MS$|SECRET_MANAGER_).*(?:PASSWORD|SECRET|TOKEN|API_KEY|SUBSCRIPTION_KEY)/;

/**
 * The secrets an app reads through the secret store (getSecret, by these names: the ingestion
 * sources' `secrets`) rather than through its configuration, and the one app that reads each.
 * A deployment gives each to that app's own container alone: as a variable of its environment
 * (FRED_API_KEY), or as a file of its SECRETS_DIR named by the secret (fred_api_key).
 */
export const STORE_SECRETS: Readonly<Record<string, AppName>> = {
  fred_api_key: 'worker-scraping',
  comtrade_subscription_key: 'worker-scraping',
};

/** The variable the secret store reads a secret from (envVariableOf in @conveyor/integrations): fred_api_key → FRED_API_KEY. */
export const storeSecretVariable = (secret: string) => secret.toUpperCase().replace(/[.-]/g, '_');

/** The store secret a variable, file or Secret key stands for (FRED_API_KEY or fred_api_key → fred_api_key), if any. */
export const storeSecretOf = (name: string): string | undefined =>
  Object.keys(STORE_SECRETS).find((secret) => name === secret || name === storeSecretVariable(secret));

/** The password of a URL with credentials (scheme://user:password@host), if the value has one. */
export function urlPassword(value: string): string | undefined {
  return /:\/\/[^:/@\s]+:([^@\s]+)@/.exec(value)?.[1];
}

/** Every environment schema @conveyor/config exports (llmEnvSchema, xApiEnvSchema, publishingEnvSchema …), by name. */
const ENV_SCHEMAS = new Map<string, Schema>(
  (Object.entries(config) as [string, unknown][]).flatMap(([name, value]) =>
    name.endsWith('EnvSchema') && typeof (value as Partial<Schema>).safeParse === 'function' ? [[name, value as Schema]] : [],
  ),
);

/** The source files of an app (apps/<app>/src), every one. */
function sourcesOf(root: string, app: string): string[] {
  const dir = path.join(root, 'apps', app, 'src');
  return (readdirSync(dir, { recursive: true }) as string[]).filter((f) => f.endsWith('.ts')).map((f) => readFileSync(path.join(dir, f), 'utf8'));
}

/**
 * The names of the environment schemas of @conveyor/config that an app's own source imports
 * (not as a type): what its process parses besides its kind's schema. Read from the code that
 * does the parsing (the LLM workers' main.ts, the publishing worker's publishing-from-env.ts),
 * so a worker that starts reading X or LLM settings is checked for them without a list here.
 */
export function importedEnvSchemas(app: AppEntry, root: string): string[] {
  const names = new Set<string>();
  for (const source of sourcesOf(root, app.name))
    for (const [, list] of source.matchAll(/import\s*\{([^}]*)\}\s*from\s*'@conveyor\/config'/g))
      for (const item of list!.split(',').map((i) => i.trim()))
        if (!item.startsWith('type ') && ENV_SCHEMAS.has(item.split(/\s+as\s+/)[0]!)) names.add(item.split(/\s+as\s+/)[0]!);
  return [...names].sort();
}

/** The variables an app's process parses: its kind's schema, and every environment schema its source imports. */
function schemasOf(app: AppEntry, root: string): Schema[] {
  const own = app.kind === 'api' ? apiEnvSchema : app.kind === 'scheduler' ? schedulerEnvSchema : workerEnvSchema(app.defaultPort);
  return [own, ...importedEnvSchemas(app, root).map((name) => ENV_SCHEMAS.get(name)!)].filter((schema, i, all) => all.indexOf(schema) === i);
}

/** What the app's own schemas refuse in `env` (an empty value counts as unset), as "<app>: <message>". */
export function envProblems(app: AppEntry, env: Record<string, string>, root: string): string[] {
  return schemasOf(app, root).flatMap((schema) => {
    try {
      parseEnv(schema, env);
      return [];
    } catch (error) {
      return [`${app.name}: ${(error as Error).message}`];
    }
  });
}

/**
 * Settings a deployment must make itself: X_DRY_RUN unset follows NODE_ENV (on in development
 * only), so a file that forgot it would publish, or not, by accident. For every app whose
 * source imports xApiEnvSchema.
 */
export function undecidedSettings(app: AppEntry, env: Record<string, string>, root: string): string[] {
  if (env.X_DRY_RUN || !importedEnvSchemas(app, root).includes('xApiEnvSchema')) return [];
  return [`${app.name}: X_DRY_RUN is not set; say true (nothing is sent to X) or false (posts go out) rather than leave it to NODE_ENV`];
}

/** Seconds a worker drains on SIGTERM: SHUTDOWN_GRACE_MS as the worker reads it, its default included (NaN when invalid). */
export function drainSeconds(app: AppEntry, env: Record<string, string>): number {
  try {
    return parseEnv(workerEnvSchema(app.defaultPort).pick({ SHUTDOWN_GRACE_MS: true }), env).SHUTDOWN_GRACE_MS / 1000;
  } catch {
    return Number.NaN;
  }
}
