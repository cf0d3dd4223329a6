import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { ConfigError } from './config-error';

type Env = Record<string, string | undefined>;

/**
 * `X_FILE=/path` sets X to the content of that file, the convention of Docker and Kubernetes
 * secrets (mounted as files, never in the environment). Only for the schema's own variables,
 * so that an unrelated `*_FILE` variable is never read. One trailing newline is dropped (what
 * `echo secret > file` adds). Setting both X and X_FILE, or a file that cannot be read or is
 * empty, is a configuration error that names the variable and the path, never the content.
 */
export function resolveSecretFiles(schema: z.ZodType, env: Env): Env {
  if (!(schema instanceof z.ZodObject)) return env;
  const resolved: Env = { ...env };
  const problems: string[] = [];
  const variables: string[] = [];
  for (const name of Object.keys(schema.shape)) {
    const file = env[`${name}_FILE`];
    if (!file) continue;
    delete resolved[`${name}_FILE`];
    if (env[name]) {
      problems.push(`  ${name}: set ${name} or ${name}_FILE, not both`);
      variables.push(name);
      continue;
    }
    try {
      const content = readFileSync(file, 'utf8').replace(/\r?\n$/, '');
      if (!content) throw new Error('the file is empty');
      resolved[name] = content;
    } catch (error) {
      const reason = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
      problems.push(`  ${name}_FILE: cannot read ${name} from ${file} (${reason})`);
      variables.push(name);
    }
  }
  if (problems.length) throw new ConfigError(`Invalid configuration:\n${problems.join('\n')}`, variables);
  return resolved;
}
