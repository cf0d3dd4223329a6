import { spawn } from 'node:child_process';
import path from 'node:path';
import { onLines } from './run.mjs';
import { bold, dim } from './say.mjs';

/** Every app, its port variable and default port. */
export const APPS = [
  { name: 'api', portVar: 'API_PORT', port: 3000 },
  { name: 'scheduler', portVar: 'SCHEDULER_PORT', port: 9400 },
  { name: 'worker-scraping', portVar: 'WORKER_PORT', port: 9401 },
  { name: 'worker-analysis', portVar: 'WORKER_PORT', port: 9402 },
  { name: 'worker-generation', portVar: 'WORKER_PORT', port: 9403 },
  { name: 'worker-monitoring', portVar: 'WORKER_PORT', port: 9404 },
  { name: 'worker-publishing', portVar: 'WORKER_PORT', port: 9405 },
].map((app) => ({ ...app, script: path.join('apps', app.name, 'dist', 'main.js'), healthPath: '/healthz' }));

/** The LLM simulator, run in place of a provider when no OPENROUTER_API_KEY is set. */
export const LLM_SIM = { name: 'llm-sim', portVar: 'SIM_PORT', port: 4010, script: path.join('packages', 'sim', 'dist', 'main.js'), healthPath: '/v1/models' };

const COLORS = ['36', '35', '33', '32', '34', '96', '95', '91'];
const width = Math.max(...APPS.map((a) => a.name.length));

/**
 * Starts every app as its own process, each line of its output prefixed with its name.
 * Returns a stop() that sends SIGTERM to all and resolves when every one has exited.
 */
export function startApps(root, env, apps = APPS) {
  const color = process.stdout.isTTY && !process.env.NO_COLOR;
  const children = apps.map((app, i) => {
    const label = app.name.padEnd(width);
    const prefix = color ? `\x1b[${COLORS[i % COLORS.length]}m${label}\x1b[0m │ ` : `${label} │ `;
    const child = spawn(process.execPath, [path.join(root, app.script)], {
      env: { ...env, [app.portVar]: env[`${app.name.toUpperCase().replace(/-/g, '_')}_PORT`] ?? String(app.port) },
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

/** The port each app listens on with this environment. */
export function portOf(app, env) {
  return Number(env[`${app.name.toUpperCase().replace(/-/g, '_')}_PORT`] ?? app.port);
}
