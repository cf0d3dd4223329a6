import fs from 'node:fs';
import path from 'node:path';

/** KEY=VALUE lines of a .env file (no expansion); comments and blank lines skipped. */
function readDotEnv(file) {
  if (!fs.existsSync(file)) return {};
  const out = {};
  for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
    const match = /^\s*([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*?)\s*$/.exec(line);
    if (match && !line.trimStart().startsWith('#')) out[match[1]] = match[2].replace(/^(['"])(.*)\1$/, '$2');
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

/** The same server's maintenance database: where test databases are created and dropped. */
export function adminUrlOf(databaseUrl) {
  const url = new URL(databaseUrl);
  url.pathname = '/postgres';
  return url.toString();
}
