import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { onLines } from './run.mjs';
import { bold, dim } from './say.mjs';

/** The app registry, read as it is (npm start runs before anything is built). */
export const REGISTRY_FILE = path.join('packages', 'config', 'src', 'apps.json');
const registry = JSON.parse(fs.readFileSync(path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..', REGISTRY_FILE), 'utf8'));

/** What an app's port serves, for the port check's messages. */
const SERVES = { api: 'the HTTP API', scheduler: "the scheduler's health and metrics", worker: 'its health and metrics' };

/**
 * Every app of the registry: the variable its process reads its port from (portVar), its
 * default port, and the variable that moves it under npm start (stackVar, `<APP>_PORT`: the
 * five workers all read WORKER_PORT, so each gets its own here).
 */
export const APPS = registry.apps.map((app) => ({
  name: app.name,
  what: SERVES[app.kind],
  portVar: app.portVariable,
  port: app.defaultPort,
  stackVar: `${app.name.toUpperCase().replace(/-/g, '_')}_PORT`,
  script: path.join('apps', app.name, 'dist', 'main.js'),
  healthPath: app.healthPath,
}));

/** The LLM simulator, run in place of a provider when no OPENROUTER_API_KEY is set. */
export const LLM_SIM = {
  name: 'llm-sim',
  what: 'the LLM simulator',
  portVar: 'SIM_PORT',
  stackVar: 'SIM_PORT',
  port: 4010,
  script: path.join('packages', 'sim', 'dist', 'main.js'),
  healthPath: '/v1/models',
};

/**
 * The X API simulator, run in place of X when no X_API_BASE_URL is set. Its development account
 * (DEV_X_ACCOUNT in packages/sim/src/x-simulator.ts: tests/e2e/test/stack-x.test.ts keeps the
 * two in step) answers to devToken.
 */
export const X_SIM = {
  name: 'x-sim',
  what: 'the X API simulator',
  portVar: 'X_SIM_PORT',
  stackVar: 'X_SIM_PORT',
  port: 4020,
  script: path.join('packages', 'sim', 'dist', 'x-main.js'),
  healthPath: '/_sim/health',
  devToken: 'x-sim-dev-token',
  devAccount: { username: 'conveyor_dev', tier: 'basic' },
};

/**
 * The data-source simulator (the five public sources of ingestion on one port), run in their
 * place when no source URL is set (scripts/lib/ingestion.mjs).
 */
export const DATA_SIM = {
  name: 'data-sim',
  what: 'the data-source simulator',
  portVar: 'DATA_SIM_PORT',
  stackVar: 'DATA_SIM_PORT',
  port: 4030,
  script: path.join('packages', 'sim', 'dist', 'data-main.js'),
  healthPath: '/_sim/health',
};

const COLORS = ['36', '35', '33', '32', '34', '96', '95', '91'];
const width = Math.max(...APPS.map((a) => a.name.length));

/**
 * Starts every app as its own process, each line of its output prefixed with its name; appEnv
 * adds variables to one app's environment alone (app name → variables: the X token only the
 * publishing worker reads, the data simulator's keys only the scraping worker). Returns a
 * stop() that sends SIGTERM to all and resolves when every one has exited.
 */
export function startApps(root, env, apps = APPS, appEnv = {}) {
  const color = process.stdout.isTTY && !process.env.NO_COLOR;
  const children = apps.map((app, i) => {
    const label = app.name.padEnd(width);
    const prefix = color ? `\x1b[${COLORS[i % COLORS.length]}m${label}\x1b[0m │ ` : `${label} │ `;
    const child = spawn(process.execPath, [path.join(root, app.script)], {
      env: { ...env, ...appEnv[app.name], [app.portVar]: String(portOf(app, env)) },
      stdio: ['ignore', 'pipe', 'pipe'],
      // Its own process group: a terminal's Ctrl-C reaches only this script, which then sends
      // each app one SIGTERM (a second signal would make an app skip draining its tasks).
      detached: true,
    });
    for (const pipe of [child.stdout, child.stderr]) onLines(pipe, (line) => process.stdout.write(`${prefix}${line}\n`));
    const exited = new Promise((resolve) =>
      child.on('exit', (code, signal) => {
        process.stdout.write(`${prefix}${dim(`exited (${code ?? signal})`)}\n`);
        resolve(code ?? signal);
      }),
    );
    return { app, child, exited };
  });
  // Should this script die without its own shutdown (an uncaught error), take the apps along.
  process.on('exit', () => {
    for (const { child } of children) if (child.exitCode === null) child.kill('SIGTERM');
  });
  return {
    children,
    stop: async () => {
      console.log(bold('\nstopping every app (SIGTERM: active tasks finish first)…'));
      for (const { child } of children) if (child.exitCode === null) child.kill('SIGTERM');
      await Promise.all(children.map((c) => c.exited));
    },
  };
}

/**
 * The port an app listens on with this environment: its stackVar, or its default when that is
 * unset or empty (as in .env.example). Throws naming the variable when it is not a port.
 */
export function portOf(app, env) {
  const value = env[app.stackVar]?.trim();
  if (!value) return app.port;
  const port = Number(value);
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new Error(`${app.stackVar}=${value} is not a port number (1-65535)`);
  return port;
}

/** What a port check needs to know of each app: its name, what it serves, its port and the variable that moves it. */
export function portsOf(apps, env) {
  return apps.map((app) => ({ name: app.name, what: app.what, port: portOf(app, env), variable: app.stackVar }));
}
