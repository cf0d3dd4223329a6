import { execFile, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { REPO_ROOT } from '@conveyor/testkit';
import { type Instruction, execForm, expand, readStages } from './dockerfile';
import { readDockerignore } from './dockerignore';

// infra/docker/Dockerfile rehearsed without Docker: every instruction of every stage is done
// here in a scratch folder, or stood in for in a way this file names, and an instruction this
// file does not know fails the build. So the recipe the test follows is the Dockerfile's own
// (its prune command, the COPY lines and whether prune still produces what they copy, the
// installs and their flags, the entry-point shim, ENV, USER, HEALTHCHECK and CMD), and the two
// cannot drift apart silently. What is stood in for:
//   - `npm install -g pnpm@… turbo@…`: the workspace's own pnpm and turbo, checked to be those versions;
//   - `turbo run build --filter=…` and the full `pnpm install` before it, which only serves the
//     build: each pruned package's dist/ copied from the workspace, which the test command has
//     just built (building in every pruned folder took 31 s for the API alone on two busy
//     cores; eight of them would not fit the suite). The production install must then start
//     from empty node_modules folders, as it must in the image (see the Dockerfile), or it is refused;
//   - `pnpm install` gets `--offline` when it lacks it: the store holds every package of the
//     lockfile already, and tests use no network. pnpm checks each pruned lockfile against its
//     supply-chain policies then, from the full metadata in its cache: in the image, the
//     builder's online install has just fetched it into the build's own cache; here it comes
//     from a cache of the checkout's own (IMAGE_PNPM_CACHE) that `npm run setup` fills by
//     checking the whole lockfile online, never the shared one, which may lack it (see
//     scripts/lib/pnpm.mjs);
//   - `apt-get install tini` and the tini ENTRYPOINT: the test sends SIGTERM to node itself.

export interface ImageFolder {
  /** The APP build argument. */
  app: string;
  /** The final stage's WORKDIR, laid out: what the image holds. */
  dir: string;
  /** The final stage's ENV. */
  env: Record<string, string>;
  /** The final stage's USER. */
  user: string;
  /** CMD and the HEALTHCHECK's command, as argv. */
  cmd: string[];
  healthcheck: string[];
  /** The HEALTHCHECK's --retries: failures in a row Docker allows before it calls the container unhealthy (3 by default). */
  healthcheckRetries: number;
  /** The HEALTHCHECK's --interval in ms: how long Docker waits between two probes (30 s by default). */
  healthcheckIntervalMs: number;
  /** What was done for each instruction, one line each. */
  log: string[];
}

export interface BuildOptions {
  /** The .dockerignore to build with (default: the repository's). */
  dockerignore?: string;
  /** Called right after each RUN that was done (prune's, say), with where the stage's image paths are here: a test's change to its output. */
  afterRun?: (run: { stage: string; command: string; folder: (imagePath: string) => string }) => void;
  /** pnpm's metadata cache for the installs (default: IMAGE_PNPM_CACHE). */
  pnpmCacheDir?: string;
}

/** The pnpm metadata cache that `npm run setup` fills for the offline installs (scripts/lib/pnpm.mjs, IMAGE_PNPM_CACHE). */
const IMAGE_PNPM_CACHE = path.join(REPO_ROOT, '.local', 'image-pnpm-cache');

/** The versions of pnpm and turbo the workspace runs; the image must install the same. */
function workspaceTools(): Record<string, string> {
  const rootManifest = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as { packageManager: string };
  const turbo = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'node_modules', 'turbo', 'package.json'), 'utf8')) as { version: string };
  return { pnpm: rootManifest.packageManager.replace(/^pnpm@/, ''), turbo: turbo.version };
}

/** Where pnpm is: on PATH, or where the test command installs it without root (.local/tools). */
function pnpmFolder(): string {
  const local = path.join(REPO_ROOT, '.local', 'tools', 'node_modules', '.bin');
  try {
    return path.dirname(execFileSync('sh', ['-c', 'command -v pnpm'], { encoding: 'utf8' }).trim());
  } catch {
    if (fs.existsSync(path.join(local, 'pnpm'))) return local;
    throw new Error('pnpm is neither on PATH nor in .local/tools: run npm run setup');
  }
}

interface StageState {
  name: string;
  /** Local folder standing for the stage's filesystem root. */
  root: string;
  /** Image paths served from elsewhere: the build context, or another stage's folder taken whole. */
  mounts: Map<string, string>;
  workdir: string;
  vars: Record<string, string>;
  env: Record<string, string>;
  user: string;
  cmd: string[];
  healthcheck: string[];
  healthcheckRetries: number;
  healthcheckIntervalMs: number;
  entrypoint: string[];
  /** Set once the stage's full install, which serves only its build, was stood in for. */
  buildInstallSkipped: boolean;
  /** Set when the stage's WORKDIR is the build context (`COPY . .`). */
  onContext?: boolean;
}

type Ignored = (relativePath: string) => string | undefined;

/** Every file under folder, relative to it. */
function filesUnder(folder: string, prefix = ''): string[] {
  return fs.readdirSync(path.join(folder, prefix), { withFileTypes: true }).flatMap((e) => {
    const rel = prefix ? `${prefix}/${e.name}` : e.name;
    return e.isDirectory() ? filesUnder(folder, rel) : [rel];
  });
}

/**
 * Files a RUN on the build context put into an output folder (prune's json/ and full/ copies of
 * repository files, its lockfile) that .dockerignore leaves out of the context: in the image they
 * would be missing.
 */
function contextLeftOut(output: string, ignored: Ignored): string[] {
  return filesUnder(output).flatMap((file) => {
    const parts = file.split('/');
    const repoPath = parts.length > 1 && (parts[0] === 'json' || parts[0] === 'full') ? parts.slice(1).join('/') : file;
    const pattern = ignored(repoPath);
    return pattern ? [`${repoPath} (${pattern})`] : [];
  });
}

function local(stage: StageState, imagePath: string): string {
  const absolute = path.posix.resolve(stage.workdir, imagePath);
  const mount = [...stage.mounts.keys()].sort((a, b) => b.length - a.length).find((m) => absolute === m || absolute.startsWith(`${m}/`));
  return mount ? path.join(stage.mounts.get(mount)!, path.posix.relative(mount, absolute)) : path.join(stage.root, absolute);
}

/** `COPY [--from=stage] [--chown=…] src… dest`, done. */
function copy(i: Instruction, stage: StageState, stages: Map<string, StageState>, ignored: Ignored, log: string[]): void {
  const words = expand(i.args, stage.vars).split(/\s+/);
  const flags = Object.fromEntries(words.filter((w) => w.startsWith('--')).map((w) => w.slice(2).split('=') as [string, string]));
  const [dest, ...sources] = words.filter((w) => !w.startsWith('--')).reverse();
  const from = flags.from ? stages.get(flags.from) : undefined;
  if (flags.from && !from) throw new Error(`Dockerfile line ${i.line}: COPY --from=${flags.from}: no such stage before it`);
  for (const source of sources.reverse()) {
    if (!from && source === '.' && dest === '.') {
      // The whole build context: the repository itself; what .dockerignore leaves out of it is
      // checked against what this stage's RUN lines produce (see contextLeftOut).
      stage.mounts.set(stage.workdir, REPO_ROOT);
      stage.onContext = true;
      log.push(`line ${i.line}: COPY . . — the build context is the repository itself`);
      continue;
    }
    const src = from ? local(from, source) : path.join(REPO_ROOT, source);
    const leftOut = from ? undefined : ignored(source.replace(/^\.\//, '').replace(/\/$/, ''));
    if (leftOut) throw new Error(`Dockerfile line ${i.line}: COPY ${i.args}: .dockerignore leaves ${source} out of the build context (${leftOut})`);
    if (!fs.existsSync(src)) {
      throw new Error(`Dockerfile line ${i.line}: COPY ${i.args}: ${source} ${from ? `is not produced by stage ${from.name}` : 'is not in the repository'}`);
    }
    const target = path.posix.resolve(stage.workdir, dest!);
    if (from && path.posix.resolve(from.workdir, source) === from.workdir && target === stage.workdir) {
      stage.mounts.set(stage.workdir, src);
      log.push(`line ${i.line}: COPY ${i.args} — stage ${from.name}'s folder taken whole`);
      continue;
    }
    const into = dest!.endsWith('/') || dest === '.' || (fs.statSync(src).isDirectory() && source.endsWith('/'));
    const to = into && !fs.statSync(src).isDirectory() ? path.join(local(stage, target), path.basename(source)) : local(stage, target);
    fs.mkdirSync(path.dirname(to), { recursive: true });
    fs.cpSync(src, to, { recursive: true });
    log.push(`line ${i.line}: COPY ${i.args}`);
  }
}

/** Copies dist/ of every workspace package in folder from the built workspace: the stand-in for `turbo run build`. */
function copyBuiltOutput(folder: string, app: string): string[] {
  const entry = app === 'sim' ? 'packages/sim' : `apps/${app}`;
  if (!fs.existsSync(path.join(folder, entry, 'package.json'))) throw new Error(`${entry} is not in the pruned folder: the prune target is not ${app}`);
  const copied: string[] = [];
  for (const group of ['apps', 'packages']) {
    const dir = path.join(folder, group);
    if (!fs.existsSync(dir)) continue;
    for (const name of fs.readdirSync(dir)) {
      const built = path.join(REPO_ROOT, group, name, 'dist');
      if (!fs.existsSync(built)) continue;
      fs.cpSync(built, path.join(dir, name, 'dist'), { recursive: true });
      copied.push(`${group}/${name}`);
    }
  }
  if (!copied.includes(entry)) throw new Error(`${entry}/dist is not built in the workspace: build it first (npm run setup)`);
  return copied;
}

/**
 * Absolute image paths a later stage copies out of stage (the `/pruned` of `COPY --from=pruner
 * /pruned/json/ .`), so that its RUN lines can be pointed at the stage's local folder.
 */
function outputsOf(stageName: string, all: Instruction[]): string[] {
  return [
    ...new Set(
      all
        .filter((i) => i.op === 'COPY' && i.args.includes(`--from=${stageName}`))
        .flatMap((i) => i.args.split(/\s+/).filter((w) => w.startsWith('/')))
        .map((p) => `/${p.split('/')[1]}`),
    ),
  ];
}

/** Builds the image of app into scratch (a fresh folder) by the Dockerfile's steps; returns what it holds and how it runs. */
export async function buildImageFolder(dockerfileText: string, app: string, scratch: string, options: BuildOptions = {}): Promise<ImageFolder> {
  const buildArgs = { APP: app };
  const { stages, globalArgs } = readStages(dockerfileText, buildArgs);
  const all = stages.flatMap((s) => s.instructions);
  const tools = workspaceTools();
  const toolPath = [pnpmFolder(), path.join(REPO_ROOT, 'node_modules', '.bin'), path.dirname(process.execPath), process.env.PATH].join(':');
  const states = new Map<string, StageState>();
  const log: string[] = [];
  const ignored = readDockerignore(options.dockerignore ?? fs.readFileSync(path.join(REPO_ROOT, '.dockerignore'), 'utf8'));
  for (const stage of stages) {
    const parent = states.get(stage.from);
    const state: StageState = {
      name: stage.name,
      root: path.join(scratch, stage.name),
      mounts: new Map(),
      workdir: parent?.workdir ?? '/',
      vars: {},
      env: { ...parent?.env },
      user: parent?.user ?? 'root',
      cmd: [],
      healthcheck: [],
      healthcheckRetries: 3,
      healthcheckIntervalMs: 30_000,
      entrypoint: [],
      buildInstallSkipped: false,
    };
    fs.mkdirSync(state.root, { recursive: true });
    states.set(stage.name, state);
    for (const i of stage.instructions) {
      const args = expand(i.args, { ...state.vars });
      switch (i.op) {
        case 'ARG': {
          const [name, value] = i.args.split('=');
          state.vars[name!] = buildArgs[name as 'APP'] ?? value ?? globalArgs[name!] ?? '';
          break;
        }
        case 'WORKDIR':
          state.workdir = path.posix.resolve(state.workdir, args);
          fs.mkdirSync(local(state, state.workdir), { recursive: true });
          break;
        case 'COPY':
          copy(i, state, states, ignored, log);
          break;
        case 'ENV':
          for (const pair of args.split(/\s+/)) {
            const [name, value] = pair.split('=');
            state.env[name!] = value ?? '';
          }
          break;
        case 'USER':
          state.user = args;
          break;
        case 'CMD':
          state.cmd = execForm(args).argv;
          break;
        case 'ENTRYPOINT':
          state.entrypoint = execForm(args).argv;
          break;
        case 'HEALTHCHECK': {
          const { options: flags, argv } = execForm(args);
          if (flags.at(-1) !== 'CMD') throw new Error(`Dockerfile line ${i.line}: HEALTHCHECK without CMD`);
          state.healthcheck = argv;
          const retries = flags.find((f) => f.startsWith('--retries='));
          if (retries) state.healthcheckRetries = Number(retries.slice('--retries='.length));
          const interval = flags.find((f) => f.startsWith('--interval='));
          if (interval) state.healthcheckIntervalMs = durationMs(interval.slice('--interval='.length), i.line);
          break;
        }
        case 'RUN':
          await run(i, state, stage.instructions, all, { tools, toolPath, app, log, options, ignored });
          break;
        default:
          throw new Error(`Dockerfile line ${i.line}: ${i.op} is an instruction this rehearsal does not know; teach tests/e2e/test/image-recipe.ts`);
      }
    }
  }
  const final = states.get(stages.at(-1)!.name)!;
  if (final.entrypoint.length && !/(^|\/)tini$/.test(final.entrypoint[0]!)) {
    throw new Error(`ENTRYPOINT ${final.entrypoint.join(' ')}: only tini is known (the test signals node directly, as tini passes signals on)`);
  }
  return {
    app,
    dir: local(final, final.workdir),
    env: final.env,
    user: final.user,
    cmd: final.cmd,
    healthcheck: final.healthcheck,
    healthcheckRetries: final.healthcheckRetries,
    healthcheckIntervalMs: final.healthcheckIntervalMs,
    log,
  };
}

/** What a RUN line gets of this process's environment: where pnpm keeps its store, nothing else. */
const PASSED_ON = Object.fromEntries(['HOME', 'XDG_DATA_HOME', 'XDG_CACHE_HOME', 'PNPM_HOME'].flatMap((k) => (process.env[k] ? [[k, process.env[k]!]] : [])));

interface RunContext {
  tools: Record<string, string>;
  toolPath: string;
  app: string;
  log: string[];
  options: BuildOptions;
  ignored: Ignored;
}

const isBuild = (command: string) => /\bturbo run build\b/.test(command);
/** A command that empties every node_modules folder before what follows it. */
const REMOVES_NODE_MODULES = /-name node_modules\b[^&;|]*-exec rm -rf|\brm -rf\b[^&;|]*node_modules/;

/** A RUN line: done in the stage's folder with sh, or stood in for (see the top of this file). */
async function run(i: Instruction, state: StageState, stageInstructions: Instruction[], all: Instruction[], ctx: RunContext): Promise<void> {
  let command = i.args;
  const install = /\bpnpm install\b/.test(command);
  const forProduction = install && /--prod\b/.test(command);
  const buildFollows = stageInstructions.some((later) => later.line > i.line && later.op === 'RUN' && isBuild(later.args));
  if (install && !forProduction && buildFollows) {
    state.buildInstallSkipped = true;
    ctx.log.push(`line ${i.line}: RUN ${command} — stood in for with the build below`);
    return;
  }
  if (forProduction && state.buildInstallSkipped && !REMOVES_NODE_MODULES.test(command)) {
    throw new Error(
      `Dockerfile line ${i.line}: RUN ${command} goes over the build's full install: the development dependencies' files would stay in node_modules/.pnpm; empty the node_modules folders first`,
    );
  }
  if (/\bnpm install (-g|--global)\b/.test(command)) {
    for (const [tool, version] of Object.entries(ctx.tools)) {
      const wanted = new RegExp(`\\b${tool}@(\\S+)`).exec(command)?.[1];
      if (wanted !== version) throw new Error(`Dockerfile line ${i.line} installs ${tool}@${wanted ?? '(none)'}; the workspace runs ${tool} ${version}`);
    }
    ctx.log.push(`line ${i.line}: RUN ${command} — the workspace's own pnpm and turbo (same versions)`);
    return;
  }
  if (/\bapt-get\b/.test(command)) {
    ctx.log.push(`line ${i.line}: RUN ${command} — not done (OS packages of the image; tini's job is done by the test)`);
    return;
  }
  const build = /\bturbo run build\b.*--filter[= ]"?([^"\s]+)"?/.exec(command);
  if (isBuild(command) && !build) throw new Error(`Dockerfile line ${i.line}: RUN ${command} builds without --filter`);
  if (build) {
    const filter = expand(build[1]!, state.vars);
    const owner = ctx.app === 'sim' ? '@conveyor/sim' : `@conveyor/${ctx.app}`;
    if (filter !== owner) throw new Error(`Dockerfile line ${i.line} builds ${filter}, not ${owner}`);
    const copied = copyBuiltOutput(local(state, state.workdir), ctx.app);
    ctx.log.push(`line ${i.line}: RUN ${command} — dist/ copied from the workspace for ${copied.join(', ')}`);
    return;
  }
  if (install && !/--offline\b/.test(command)) command = command.replace(/\bpnpm install\b/, 'pnpm install --offline');
  const pnpmCacheDir = ctx.options.pnpmCacheDir ?? IMAGE_PNPM_CACHE;
  if (install && !fs.existsSync(pnpmCacheDir)) throw new Error(`Dockerfile line ${i.line}: ${pnpmCacheDir} is missing: run npm run setup, which fills it`);
  // Absolute paths another stage copies out of this one (prune's --out-dir) point at this stage's folder.
  for (const output of outputsOf(state.name, all)) command = command.replace(new RegExp(`(?<=[\\s"'=])${output}(?=[/\\s"']|$)`, 'g'), local(state, output));
  const cwd = local(state, state.workdir);
  const started = Date.now();
  try {
    await promisify(execFile)('sh', ['-c', command], {
      cwd,
      env: { ...PASSED_ON, pnpm_config_cache_dir: pnpmCacheDir, PATH: ctx.toolPath, ...state.vars, ...state.env },
      maxBuffer: 16 * 1024 * 1024,
    });
  } catch (error) {
    const e = error as { stdout?: string; stderr?: string; message: string };
    const output = `${e.stdout ?? ''}${e.stderr ?? e.message}`;
    const hint = /ERR_PNPM_NO_OFFLINE_META/.test(output)
      ? `\n(pnpm's metadata for this offline install comes from ${pnpmCacheDir}: run npm run setup after the lockfile changes, which fills it)`
      : '';
    throw new Error(`Dockerfile line ${i.line}: RUN ${command} failed for APP=${ctx.app}\n${output}${hint}`);
  }
  ctx.log.push(`line ${i.line}: RUN ${command} (${Date.now() - started} ms)`);
  if (state.onContext) {
    const missing = outputsOf(state.name, all).flatMap((output) =>
      fs.existsSync(local(state, output)) ? contextLeftOut(local(state, output), ctx.ignored) : [],
    );
    if (missing.length)
      throw new Error(`Dockerfile line ${i.line}: .dockerignore leaves out of the build context what RUN ${i.args} needs: ${missing.join(', ')}`);
  }
  ctx.options.afterRun?.({ stage: state.name, command: i.args, folder: (p) => local(state, p) });
}

/** A Dockerfile duration (`10s`, `1m30s`, `500ms`) in ms. */
function durationMs(text: string, line: number): number {
  const parts = [...text.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h)/g)];
  if (parts.length === 0 || parts.map((p) => p[0]).join('') !== text) throw new Error(`Dockerfile line ${line}: "${text}" is not a duration`);
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 } as const;
  return parts.reduce((sum, p) => sum + Number(p[1]) * unit[p[2] as keyof typeof unit], 0);
}
