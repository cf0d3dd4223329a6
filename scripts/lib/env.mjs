import fs from 'node:fs';
import path from 'node:path';

/**
 * KEY=VALUE lines of a .env file (no expansion); comments and blank lines skipped. As docker
 * compose reads it: a quoted value is taken whole, an unquoted one ends where ` #` starts a
 * comment, so that `.env.example` copied to `.env` leaves `X_API_BASE_URL=   # …` empty.
 */
function readDotEnv(file) {
  if (!fs.existsSync(file)) return {};
  const out = {};
  for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
    const match = /^\s*([A-Za-z_][A-Za-z0-9_]*)\s*=(.*)$/.exec(line);
    if (!match || line.trimStart().startsWith('#')) continue;
    const value = match[2].trim();
    const quoted = /^(['"])(.*)\1$/.exec(value);
    out[match[1]] = quoted ? quoted[2] : value.replace(/(^|\s)#.*$/, '').trim();
  }
  return out;
}

/** The environment the stack runs with: defaults, then .env, then the shell's own variables. */
export function stackEnv(root) {
  const env = {
    DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/conveyor',
    REDIS_URL: 'redis://127.0.0.1:6379',
    ...readDotEnv(path.join(root, '.env')),
  };
  for (const key of Object.keys(process.env)) if (process.env[key] !== undefined) env[key] = process.env[key];
  return env;
}

/** What `npm start` runs the stack with: development, pretty logs, then the stack's environment. */
export function startEnv(root) {
  return { NODE_ENV: 'development', LOG_FORMAT: 'pretty', ...stackEnv(root) };
}

/** The same server's maintenance database: where test databases are created and dropped. */
export function adminUrlOf(databaseUrl) {
  const url = new URL(databaseUrl);
  url.pathname = '/postgres';
  return url.toString();
}
