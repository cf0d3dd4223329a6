import { spawn } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import { APPS, REPO_ROOT, freePort } from '@conveyor/testkit';

// `npm start` (scripts/stack.mjs up) checks every port it is about to listen on before it
// installs, builds or starts anything, and each simulator exits when it cannot listen.
// These tests hold a port, point one variable at it, and need no stack at all.

/** A server holding a free port on 127.0.0.1 until released. */
async function holdPort(): Promise<{ port: number; release: () => Promise<void> }> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { port: (server.address() as net.AddressInfo).port, release: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

/** Runs `node <args>` in the repository root to its exit; killed after 60 s, a bound should it go on. */
function runNode(args: string[], env: Record<string, string>): Promise<{ code: number | string | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, args, { cwd: REPO_ROOT, env: { ...process.env, NO_COLOR: '1', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      resolve({ code: code ?? signal, output });
    });
  });
}

/** Every port variable of `npm start` on a free port, every simulator included (no provider key, no X_API_BASE_URL, no source URL). */
async function stackEnv(): Promise<Record<string, string>> {
  const env: Record<string, string> = {
    OPENROUTER_API_KEY: '',
    HOST: '127.0.0.1',
    // No pnpm or npm on the PATH: should the check ever let the script through, its setup
    // fails at once instead of installing, building and starting the stack.
    PATH: path.join(REPO_ROOT, '.no-such-dir'),
    SIM_PORT: String(await freePort()),
    X_API_BASE_URL: '',
    X_SIM_PORT: String(await freePort()),
    GDELT_BASE_URL: '',
    RELIEFWEB_BASE_URL: '',
    FRED_BASE_URL: '',
    WORLDBANK_BASE_URL: '',
    COMTRADE_BASE_URL: '',
    DATA_SIM_PORT: String(await freePort()),
  };
  for (const app of APPS) env[`${app.toUpperCase().replace(/-/g, '_')}_PORT`] = String(await freePort());
  return env;
}

const startStack = (env: Record<string, string>) => runNode([path.join(REPO_ROOT, 'scripts', 'stack.mjs'), 'up'], env);
const startedNothing = (output: string) => expect(output).not.toMatch(/installing|building|preparing the database|starting every app|simulator at/);

describe('npm start with a port already taken', () => {
  it("stops before starting anything when the simulator's port is taken, naming the port and SIM_PORT", async () => {
    const held = await holdPort();
    try {
      const { code, output } = await startStack({ ...(await stackEnv()), SIM_PORT: String(held.port) });
      expect(code).toBe(1);
      expect(output).toContain(`port ${held.port} on 127.0.0.1 is already in use: llm-sim (the LLM simulator) was going to listen there`);
      expect(output).toContain('move llm-sim with SIM_PORT=<another port>');
      startedNothing(output);
    } finally {
      await held.release();
    }
  }, 90_000);

  it("stops before starting anything when the X simulator's port is taken, naming the port and X_SIM_PORT", async () => {
    const held = await holdPort();
    try {
      const { code, output } = await startStack({ ...(await stackEnv()), X_SIM_PORT: String(held.port) });
      expect(code).toBe(1);
      expect(output).toContain(`port ${held.port} on 127.0.0.1 is already in use: x-sim (the X API simulator) was going to listen there`);
      expect(output).toContain('move x-sim with X_SIM_PORT=<another port>');
      startedNothing(output);
      // With X_API_BASE_URL set, X is not simulated and its port is not needed.
      const real = await startStack({ ...(await stackEnv()), X_API_BASE_URL: 'https://api.x.com', X_SIM_PORT: String(held.port), SCHEDULER_PORT: 'ninety' });
      expect(real.output).not.toContain('x-sim');
      expect(real.output).toContain('SCHEDULER_PORT=ninety is not a port number');
    } finally {
      await held.release();
    }
  }, 90_000);

  it("stops before starting anything when the data-source simulator's port is taken, naming the port and DATA_SIM_PORT", async () => {
    const held = await holdPort();
    try {
      const { code, output } = await startStack({ ...(await stackEnv()), DATA_SIM_PORT: String(held.port) });
      expect(code).toBe(1);
      expect(output).toContain(`port ${held.port} on 127.0.0.1 is already in use: data-sim (the data-source simulator) was going to listen there`);
      expect(output).toContain('move data-sim with DATA_SIM_PORT=<another port>');
      startedNothing(output);
      // With a source URL set, the sources are not simulated and its port is not needed.
      const real = await startStack({
        ...(await stackEnv()),
        FRED_BASE_URL: 'https://api.stlouisfed.org',
        DATA_SIM_PORT: String(held.port),
        SCHEDULER_PORT: 'ninety',
      });
      expect(real.output).not.toContain('data-sim');
      expect(real.output).toContain('SCHEDULER_PORT=ninety is not a port number');
    } finally {
      await held.release();
    }
  }, 90_000);

  it("names the app and its variable when an app's port is taken", async () => {
    const held = await holdPort();
    try {
      const { code, output } = await startStack({ ...(await stackEnv()), WORKER_MONITORING_PORT: String(held.port) });
      expect(code).toBe(1);
      expect(output).toContain(`port ${held.port} on 127.0.0.1 is already in use: worker-monitoring`);
      expect(output).toContain('WORKER_MONITORING_PORT=<another port>');
      startedNothing(output);
    } finally {
      await held.release();
    }
  }, 90_000);

  it('refuses one port given to two of them, and a value that is not a port', async () => {
    const env = await stackEnv();
    const same = await startStack({ ...env, SIM_PORT: env.API_PORT! });
    expect(same.code).toBe(1);
    expect(same.output).toContain(`port ${env.API_PORT} is given to both llm-sim (SIM_PORT) and api (API_PORT)`);
    startedNothing(same.output);
    const bad = await startStack({ ...env, SCHEDULER_PORT: 'ninety' });
    expect(bad.code).toBe(1);
    expect(bad.output).toContain('SCHEDULER_PORT=ninety is not a port number');
    startedNothing(bad.output);
  }, 90_000);

  it('the simulator on its own exits 1 naming its port when it cannot listen', async () => {
    const held = await holdPort();
    try {
      const { code, output } = await runNode([path.join(REPO_ROOT, 'packages', 'sim', 'dist', 'main.js')], { SIM_PORT: String(held.port), HOST: '127.0.0.1' });
      expect(code).toBe(1);
      const line = JSON.parse(output.trim().split('\n').pop()!);
      expect(line).toMatchObject({ level: 'error', service: 'llm-sim', port: held.port, code: 'EADDRINUSE' });
      expect(line.message).toContain(`port ${held.port} on 127.0.0.1 is already in use`);
      expect(line.message).toContain('SIM_PORT');
    } finally {
      await held.release();
    }
  }, 90_000);

  it('the X simulator on its own exits 1 naming its port when it cannot listen', async () => {
    const held = await holdPort();
    try {
      const { code, output } = await runNode([path.join(REPO_ROOT, 'packages', 'sim', 'dist', 'x-main.js')], {
        X_SIM_PORT: String(held.port),
        HOST: '127.0.0.1',
      });
      expect(code).toBe(1);
      const line = JSON.parse(output.trim().split('\n').pop()!);
      expect(line).toMatchObject({ level: 'error', service: 'x-sim', port: held.port, code: 'EADDRINUSE' });
      expect(line.message).toContain(`port ${held.port} on 127.0.0.1 is already in use`);
      expect(line.message).toContain('X_SIM_PORT');
    } finally {
      await held.release();
    }
  }, 90_000);

  it('the data-source simulator on its own exits 1 naming its port when it cannot listen', async () => {
    const held = await holdPort();
    try {
      const { code, output } = await runNode([path.join(REPO_ROOT, 'packages', 'sim', 'dist', 'data-main.js')], {
        DATA_SIM_PORT: String(held.port),
        HOST: '127.0.0.1',
      });
      expect(code).toBe(1);
      const line = JSON.parse(output.trim().split('\n').pop()!);
      expect(line).toMatchObject({ level: 'error', service: 'data-sim', port: held.port, code: 'EADDRINUSE' });
      expect(line.message).toContain(`port ${held.port} on 127.0.0.1 is already in use`);
      expect(line.message).toContain('DATA_SIM_PORT');
    } finally {
      await held.release();
    }
  }, 90_000);
});
