import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { freePort, waitFor } from './processes';

// Fault tests break Redis and Postgres on purpose; they do it to private servers on free
// ports, never to the shared ones other test files use.

export interface PrivateServer {
  port: number;
  url: string;
  /** Stops the server (gracefully: Redis rewrites nothing, Postgres shuts down fast). */
  stop: () => Promise<void>;
  /** Starts it again on the same port with the same data. */
  start: () => Promise<void>;
  /** Stops it and deletes its data. */
  destroy: () => Promise<void>;
}

export interface PrivateRedis extends PrivateServer {
  /** Kills it with SIGKILL, as a crash or an OOM kill would: no shutdown work at all. */
  crash: () => Promise<void>;
}

const portOpen = (port: number) =>
  new Promise<boolean>((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    socket.once('connect', () => (socket.destroy(), resolve(true)));
    socket.once('error', () => resolve(false));
  });

/** Fails with what to install when a server binary the fault tests need is not on PATH. */
export function requireCommand(command: string, install: string): void {
  try {
    execFileSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' });
  } catch {
    throw new Error(`${command} is not on PATH; the fault tests start private servers with it (${install})`);
  }
}

// Private servers run detached (they must outlive a stop/start of their own); if the test
// process ends without destroying one, it is killed here rather than left behind.
const leftRunning = new Map<string, () => void>();
process.once('exit', () => {
  for (const kill of leftRunning.values()) {
    try {
      kill();
    } catch {
      // Already gone.
    }
  }
});

/** A redis-server of our own, AOF on with fsync on every write, so a restart loses nothing acknowledged. */
export async function startPrivateRedis(extraArgs: string[] = []): Promise<PrivateRedis> {
  requireCommand('redis-server', 'apt-get install redis-server');
  requireCommand('redis-cli', 'apt-get install redis-tools');
  const port = await freePort();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'conveyor-redis-'));
  const start = async () => {
    const child = spawn(
      'redis-server',
      [
        '--port',
        String(port),
        '--bind',
        '127.0.0.1',
        '--dir',
        dir,
        '--appendonly',
        'yes',
        '--appendfsync',
        'always',
        '--save',
        '',
        '--maxmemory-policy',
        'noeviction',
        ...extraArgs,
      ],
      { stdio: 'ignore', detached: true },
    );
    child.on('error', () => undefined); // reported by the wait below, with the port
    child.unref();
    const pid = child.pid;
    if (pid) leftRunning.set(`redis:${pid}`, () => process.kill(pid, 'SIGKILL'));
    child.once('exit', () => leftRunning.delete(`redis:${pid}`));
    fs.writeFileSync(path.join(dir, 'pid'), String(child.pid));
    await waitFor(async () => ((await portOpen(port)) ? true : undefined), `private redis on ${port}`, 10_000);
  };
  const stop = async () => {
    try {
      execFileSync('redis-cli', ['-p', String(port), 'shutdown'], { stdio: 'ignore' });
    } catch {
      // Already down.
    }
    await waitFor(async () => ((await portOpen(port)) ? undefined : true), `private redis on ${port} to stop`, 10_000);
  };
  const crash = async () => {
    try {
      process.kill(Number(fs.readFileSync(path.join(dir, 'pid'), 'utf8')), 'SIGKILL');
    } catch {
      // Already down.
    }
    await waitFor(async () => ((await portOpen(port)) ? undefined : true), `private redis on ${port} to die`, 10_000);
  };
  await start();
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    start,
    stop,
    crash,
    destroy: async () => {
      await stop();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

function postgresBinDir(): string {
  const base = '/usr/lib/postgresql';
  const versions = fs.existsSync(base) ? fs.readdirSync(base).filter((v) => fs.existsSync(path.join(base, v, 'bin', 'pg_ctl'))) : [];
  const newest = versions.sort((a, b) => Number(b) - Number(a))[0];
  if (newest) return path.join(base, newest, 'bin');
  requireCommand('pg_ctl', 'apt-get install postgresql');
  return path.dirname(execFileSync('sh', ['-c', 'command -v pg_ctl']).toString().trim());
}

/**
 * A PostgreSQL cluster of our own (initdb in a temp folder, trust auth on loopback). As root
 * it runs as the postgres user, since Postgres refuses to run as root.
 */
export async function startPrivatePostgres(): Promise<PrivateServer> {
  const port = await freePort();
  const bin = postgresBinDir();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'conveyor-pg-'));
  const dataDir = path.join(dir, 'data');
  const asRoot = os.userInfo().uid === 0;
  const run = (cmd: string, args: string[]) =>
    execFileSync(asRoot ? 'runuser' : cmd, asRoot ? ['-u', 'postgres', '--', cmd, ...args] : args, { stdio: 'ignore' });
  if (asRoot) execFileSync('chown', ['postgres', dir]);
  fs.chmodSync(dir, 0o755);
  run(path.join(bin, 'initdb'), ['-D', dataDir, '-U', 'postgres', '--auth=trust', '--encoding=UTF8', '--no-sync']);
  const pgCtl = path.join(bin, 'pg_ctl');
  const start = async () => {
    run(pgCtl, ['-D', dataDir, '-l', path.join(dir, 'server.log'), '-o', `-p ${port} -c listen_addresses=127.0.0.1 -k ${dir} -c fsync=off`, '-w', 'start']);
  };
  const stop = async () => {
    try {
      run(pgCtl, ['-D', dataDir, '-m', 'fast', '-w', 'stop']);
    } catch {
      // Already down.
    }
  };
  await start();
  leftRunning.set(`postgres:${dataDir}`, () => run(pgCtl, ['-D', dataDir, '-m', 'immediate', 'stop']));
  return {
    port,
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    start,
    stop,
    destroy: async () => {
      leftRunning.delete(`postgres:${dataDir}`);
      await stop();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
