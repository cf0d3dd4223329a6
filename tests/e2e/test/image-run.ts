import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { type RunningProcess, startNode } from '@conveyor/testkit';
import { parseAllDocuments } from 'yaml';
import type { ImageFolder } from './image-recipe';

// Running an image folder the way its container would: CMD from its WORKDIR, with only the
// image's ENV and the variables given (nothing of this process's environment), as a user
// without rights to the folder's files when the test runs as root.

export interface RunAs {
  name: string;
  uid: number;
  gid: number;
}

/** The non-root user the image's processes run as here: `nobody` when the test runs as root, else the test's own user. */
export function nonRootUser(): RunAs | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const id = (flag: string) => Number(execFileSync('id', [flag, 'nobody'], { encoding: 'utf8' }).trim());
  return { name: 'nobody', uid: id('-u'), gid: id('-g') };
}

/** The environment of a process in the image: its ENV, HOST on loopback (this machine is shared), then env. */
function imageEnv(image: ImageFolder, env: Record<string, string>): Record<string, string> {
  return { PATH: path.dirname(process.execPath), ...image.env, HOST: '127.0.0.1', ...env };
}

function nodeArgs(argv: string[], what: string): string[] {
  if (argv[0] !== 'node') throw new Error(`${what} ${argv.join(' ')}: only \`node …\` is known here`);
  return argv.slice(1);
}

/** Starts the image's CMD (`node main.js`). */
export function startImage(image: ImageFolder, env: Record<string, string>, runAs: RunAs | undefined): RunningProcess {
  const [script, ...rest] = nodeArgs(image.cmd, 'CMD');
  if (rest.length) throw new Error(`CMD ${image.cmd.join(' ')}: only \`node <script>\` is known here`);
  return startNode(script!, imageEnv(image, env), image.app, { cwd: image.dir, uid: runAs?.uid, gid: runAs?.gid, inheritEnv: false });
}

/** Runs a `node …` command in the image (its HEALTHCHECK, a CLI) to its end; a hang guard of 120 s. */
export function runInImage(
  image: ImageFolder,
  argv: string[],
  env: Record<string, string>,
  runAs: RunAs | undefined,
): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, nodeArgs(argv, 'command'), {
      cwd: image.dir,
      env: imageEnv(image, env),
      uid: runAs?.uid,
      gid: runAs?.gid,
      timeout: 120_000,
    });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    child.once('error', (error) => resolve({ code: null, output: `${output}${String(error)}` }));
    child.once('close', (code) => resolve({ code, output }));
  });
}

/** The real user id a running process has (Linux: /proc/<pid>/status). */
export function uidOf(pid: number): number {
  const line = fs
    .readFileSync(`/proc/${pid}/status`, 'utf8')
    .split('\n')
    .find((l) => l.startsWith('Uid:'));
  return Number(line!.split(/\s+/)[1]);
}

/**
 * Development dependencies present in the image: for every workspace package in it, each
 * devDependency (not also a dependency) found in its node_modules. A production install
 * leaves none, so a runtime import of a development dependency fails in the test as in the image.
 */
export function devDependenciesInImage(image: ImageFolder): string[] {
  const found: string[] = [];
  const folders = [
    '.',
    ...['apps', 'packages'].flatMap((group) =>
      fs.existsSync(path.join(image.dir, group)) ? fs.readdirSync(path.join(image.dir, group)).map((n) => `${group}/${n}`) : [],
    ),
  ];
  for (const folder of folders) {
    const manifest = path.join(image.dir, folder, 'package.json');
    if (!fs.existsSync(manifest)) continue;
    const { dependencies = {}, devDependencies = {} } = JSON.parse(fs.readFileSync(manifest, 'utf8')) as Record<string, Record<string, string>>;
    for (const dep of Object.keys(devDependencies)) {
      if (!(dep in dependencies) && fs.existsSync(path.join(image.dir, folder, 'node_modules', dep))) found.push(`${folder}: ${dep}`);
    }
  }
  return found;
}

/**
 * Packages in the image's virtual store (node_modules/.pnpm) that its production install did
 * not install: what an install with --prod over a full one leaves behind (unlinked, but still
 * in the image). Its own record of what it installed is node_modules/.pnpm/lock.yaml.
 */
export function packagesNotInstalled(image: ImageFolder): string[] {
  const store = path.join(image.dir, 'node_modules', '.pnpm');
  const installed = parseAllDocuments(fs.readFileSync(path.join(store, 'lock.yaml'), 'utf8'))
    .at(-1)!
    .toJS() as { snapshots?: Record<string, unknown> };
  // A snapshot `@scope/name@1.0.0(peer@2.0.0)` is the folder `@scope+name@1.0.0_peer@2.0.0`, or a hash of it when too long.
  const folders = new Set(Object.keys(installed.snapshots ?? {}).map((key) => key.split('(')[0]!.replace(/\//g, '+')));
  return fs
    .readdirSync(store)
    .filter((entry) => entry !== 'node_modules' && entry !== 'lock.yaml')
    .filter((entry) => ![...folders].some((prefix) => entry === prefix || entry.startsWith(`${prefix}_`)));
}
