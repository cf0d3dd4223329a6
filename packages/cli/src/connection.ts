import { Conveyor } from '@conveyor/client';
import { configPath, readConfig } from './config-file';
import { UsageError } from './exit-codes';

/** The global flags that choose the server and the key. */
export interface ConnectionFlags {
  profile?: string;
  baseUrl?: string;
  apiKey?: string;
}

export interface Connection {
  baseUrl: string;
  apiKey: string;
  /** The profile the missing settings came from, if any. */
  profile: string | undefined;
}

/**
 * Each setting from the first place that has it: the flag, then the environment, then the
 * profile named by --profile or CONVEYOR_PROFILE, then the current profile (`profile use`).
 */
export function resolveConnection(flags: ConnectionFlags, env: NodeJS.ProcessEnv = process.env): Connection {
  const file = configPath(env);
  const named = flags.profile ?? (env.CONVEYOR_PROFILE || undefined);
  let baseUrl = flags.baseUrl ?? (env.CONVEYOR_BASE_URL || undefined);
  let apiKey = flags.apiKey ?? (env.CONVEYOR_API_KEY || undefined);
  let profile: string | undefined;
  // The file is read only when something is still missing or a profile is named, so flags
  // and environment alone work without any configuration.
  if (named !== undefined || baseUrl === undefined || apiKey === undefined) {
    const config = readConfig(file);
    profile = named ?? config.current ?? undefined;
    if (profile !== undefined) {
      const chosen = config.profiles[profile];
      if (!chosen) {
        const known = Object.keys(config.profiles);
        throw new UsageError(
          `No profile named "${profile}" in ${file}${known.length ? ` (there are: ${known.join(', ')})` : ''}; add it with: conveyor profile add ${profile} --base-url URL --api-key KEY`,
        );
      }
      baseUrl ??= chosen.base_url;
      apiKey ??= chosen.api_key;
    }
  }
  if (baseUrl === undefined || apiKey === undefined) {
    const missing = [baseUrl === undefined ? 'base URL' : undefined, apiKey === undefined ? 'API key' : undefined].filter(Boolean).join(' and ');
    throw new UsageError(
      `No ${missing}: pass --base-url and --api-key, set CONVEYOR_BASE_URL and CONVEYOR_API_KEY, or add a profile (conveyor profile add NAME --base-url URL --api-key KEY; conveyor profile use NAME)`,
    );
  }
  if (!/^https?:\/\/[^/]/.test(baseUrl))
    throw new UsageError(`The base URL must start with http:// or https://, e.g. http://127.0.0.1:3000 (got "${baseUrl}")`);
  return { baseUrl, apiKey, profile };
}

export function connect(connection: Connection): Conveyor {
  return new Conveyor({ baseUrl: connection.baseUrl, apiKey: connection.apiKey });
}
