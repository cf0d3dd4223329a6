import { type ChildProcess, spawn } from 'node:child_process';
import net from 'node:net';

/** A port the OS says is free now. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

export interface RunningProcess {
  child: ChildProcess;
  /** Everything the process has written so far. */
  output: () => string;
  /** Sends a signal and waits for the exit; resolves to the exit code (or signal name). */
  stop: (signal?: NodeJS.Signals, timeoutMs?: number) => Promise<number | string | null>;
  exited: Promise<number | string | null>;
}

export interface StartOptions {
  /** Working folder of the process (default: this process's). */
  cwd?: string;
  /** Run as this user and group (needs root): e.g. an image's non-root user. */
  uid?: number;
  gid?: number;
  /** false: the child gets env alone, not this process's environment too (as in a container). */
  inheritEnv?: boolean;
}

/** Starts `node script` with env and captures its output for assertions and failure messages. */
export function startNode(script: string, env: Record<string, string | undefined>, label = script, options: StartOptions = {}): RunningProcess {
  const { inheritEnv = true, ...spawnOptions } = options;
  const child = spawn(process.execPath, [script], { ...spawnOptions, env: inheritEnv ? { ...process.env, ...env } : env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
  let stopping = false;
  const exited = new Promise<number | string | null>((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal)));
  // A process that fails on its own mid-test is said at once, with its last words: the test
  // that then waits in vain would otherwise only say what it waited for.
  void exited.then((code) => {
    if (!stopping && typeof code === 'number' && code !== 0) {
      process.stderr.write(`${label} exited with code ${code} on its own; its last output:\n${output.slice(-4000)}\n`);
    }
  });
  return {
    child,
    output: () => output,
    exited,
    stop: async (signal = 'SIGTERM', timeoutMs = 15_000) => {
      if (child.exitCode !== null || child.signalCode !== null) return exited;
      stopping = true;
      child.kill(signal);
      const timer = setTimeout(() => {
        process.stderr.write(`${label} did not exit within ${timeoutMs} ms of ${signal}; killing it\n`);
        child.kill('SIGKILL');
      }, timeoutMs);
      try {
        return await exited;
      } finally {
        clearTimeout(timer);
      }
    },
  };
}

/**
 * Waits until url answers 2xx (with `instance` in its JSON body, when given); fails at once,
 * with the process's output, when it exits first, and after timeoutMs (a bound for a process
 * that never comes up, not a measure of speed).
 */
export async function waitUntilServing(proc: RunningProcess, url: string, label: string, timeoutMs: number, instance?: string): Promise<void> {
  let exitedEarly = false;
  const serving = waitFor(
    async () => {
      if (exitedEarly) return false; // stop polling; the race below has already failed
      const res = await fetch(url).catch(() => undefined);
      if (!res?.ok) return undefined;
      // Another process may hold the port (a free port taken again before this one listened):
      // only this process's own instance id counts as this process serving.
      if (instance === undefined) return true;
      const body = (await res.json().catch(() => ({}))) as { instance?: unknown };
      return body.instance === instance ? true : undefined;
    },
    `${label} to serve ${new URL(url).pathname}`,
    timeoutMs,
  );
  const died = proc.exited.then((code) => {
    exitedEarly = true;
    throw new Error(`${label} exited (${String(code)}) before serving ${new URL(url).pathname}`);
  });
  await Promise.race([serving, died]).catch((error: Error) => {
    throw new Error(`${error.message}\n--- ${label} output ---\n${proc.output()}`);
  });
  died.catch(() => undefined);
}

/** Polls fn until it returns a value that is not undefined, or fails after timeoutMs. */
export async function waitFor<T>(fn: () => Promise<T | undefined>, what: string, timeoutMs = 20_000, intervalMs = 50): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await fn();
      if (value !== undefined) return value;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${lastError ? `: ${String(lastError)}` : ''}`);
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
