import { readFileSync } from 'node:fs';
import path from 'node:path';
import { type AppEntry, apiEnvSchema, llmEnvSchema, parseEnv, schedulerEnvSchema, workerEnvSchema } from '@conveyor/config';

// What the deployment checks (compose-check.ts, k8s-check.ts) share about an app's environment.

/** A variable whose value is a secret by its name: it must come from a secret store, never from a file of the repository. */
export const SECRET_NAME = /PASSWORD|SECRET|TOKEN|API_KEY/;

/** The password of a URL with credentials (scheme://user:password@host), if the value has one. */
export function urlPassword(value: string): string | undefined {
  return /:\/\/[^:/@\s]+:([^@\s]+)@/.exec(value)?.[1];
}

/** The variables an app's process parses, by its kind; an app that depends on @conveyor/llm parses the LLM ones too. */
function schemasOf(app: AppEntry, root: string): Parameters<typeof parseEnv>[0][] {
  const own = app.kind === 'api' ? apiEnvSchema : app.kind === 'scheduler' ? schedulerEnvSchema : workerEnvSchema(app.defaultPort);
  const manifest = JSON.parse(readFileSync(path.join(root, 'apps', app.name, 'package.json'), 'utf8')) as { dependencies?: Record<string, string> };
  return manifest.dependencies?.['@conveyor/llm'] ? [own, llmEnvSchema] : [own];
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

/** Seconds a worker drains on SIGTERM: SHUTDOWN_GRACE_MS as the worker reads it, its default included (NaN when invalid). */
export function drainSeconds(app: AppEntry, env: Record<string, string>): number {
  try {
    return parseEnv(workerEnvSchema(app.defaultPort).pick({ SHUTDOWN_GRACE_MS: true }), env).SHUTDOWN_GRACE_MS / 1000;
  } catch {
    return Number.NaN;
  }
}
