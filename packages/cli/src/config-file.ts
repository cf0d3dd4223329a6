import { chmodSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import { UsageError } from './exit-codes';

const profileSchema = z.object({ base_url: z.string().min(1), api_key: z.string().min(1) }).strict();
const configSchema = z
  .object({
    /** The profile used when neither --profile nor CONVEYOR_PROFILE names one. */
    current: z.string().nullable().default(null),
    profiles: z.record(z.string(), profileSchema).default({}),
  })
  .strict();

type Config = z.infer<typeof configSchema>;

/** $CONVEYOR_CONFIG, else $XDG_CONFIG_HOME/conveyor/config.json, else ~/.config/conveyor/config.json. */
export function configPath(env: NodeJS.ProcessEnv = process.env): string {
  if (env.CONVEYOR_CONFIG) return path.resolve(env.CONVEYOR_CONFIG);
  const base = env.XDG_CONFIG_HOME ? env.XDG_CONFIG_HOME : path.join(homedir(), '.config');
  return path.join(base, 'conveyor', 'config.json');
}

/**
 * The configuration, or an empty one when the file does not exist. Like ssh with a private
 * key, a file that others can read is refused rather than silently used or changed: its API
 * keys may already have leaked, and the user should know (and fix it with chmod 600).
 */
export function readConfig(file: string): Config {
  let text: string;
  try {
    const mode = statSync(file).mode & 0o777;
    if (process.platform !== 'win32' && (mode & 0o077) !== 0) {
      throw new UsageError(
        `${file} is readable by others (mode ${mode.toString(8).padStart(3, '0')}) and holds API keys; refusing to use it. Run: chmod 600 '${file}' (and consider rotating its keys)`,
      );
    }
    text = readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return configSchema.parse({});
    throw error;
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new UsageError(`${file} is not valid JSON; fix or remove it`);
  }
  const parsed = configSchema.safeParse(json);
  if (!parsed.success) {
    const where = parsed.error.issues.map((i) => `${i.path.join('.') || '(top)'}: ${i.message}`).join('; ');
    throw new UsageError(`${file} is not a conveyor configuration (${where}); fix or remove it`);
  }
  return parsed.data;
}

/** Writes the configuration readable by its owner only (file 0600, its folder 0700), replacing it whole. */
export function writeConfig(file: string, config: Config): void {
  const dir = path.dirname(file);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  // A temporary file with the right mode from the start, renamed over the old one: the keys
  // are never in a file others can read, and a crash leaves the old file whole.
  const temporary = `${file}.${process.pid}.tmp`;
  writeFileSync(temporary, `${JSON.stringify(config, null, 2)}\n`, { mode: 0o600 });
  chmodSync(temporary, 0o600); // the umask may have narrowed it; never widened
  renameSync(temporary, file);
}
