import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { APPS, type AppEntry, dataSimEnvSchema, simEnvSchema, xSimEnvSchema } from '@conveyor/config';
import { SECRET_NAME, STORE_SECRETS, drainSeconds, envProblems, storeSecretOf, storeSecretVariable, undecidedSettings, urlPassword } from './app-env';

/** A compose service as far as these checks read it (after YAML merge keys are applied). */
interface Service {
  build?: { args?: Record<string, string> };
  environment?: Record<string, string | number>;
  healthcheck?: { test?: string[] };
  depends_on?: Record<string, { condition: string }>;
  stop_grace_period?: string;
  command?: string[];
  profiles?: string[];
  /** A name (mounted as /run/secrets/<name>) or, in the long syntax, a source mounted as /run/secrets/<target>. */
  secrets?: (string | { source: string; target?: string })[];
  ports?: string[];
  deploy?: { replicas?: number };
  image?: string;
}
export interface ComposeFile {
  services: Record<string, Service>;
  secrets?: Record<string, { file?: string }>;
}

/** A value taken whole from .env: ${NAME}, ${NAME:-} or ${NAME:?message}, never with a default. */
const FROM_DOTENV = /^\$\{\w+(:-|:\?[^}]*)?\}$/;
/** Where compose mounts a service's secrets. */
const SECRETS_DIR = '/run/secrets/';
/** What a secret file stands for while the apps' schemas parse their variables. */
const PLACEHOLDERS: Record<string, string> = { DATABASE_URL: 'postgres://conveyor:from-file@postgres:5432/conveyor' };
const REFERENCE = /\$\{(\w+)(?:(:-|:\?)([^}]*))?\}/g;

/** A simulator service of the dev profile, and how the apps point at it. */
interface Simulator {
  /** What its SIMULATOR names (infra/docker/simulators.json). */
  simulator: string;
  schema: typeof simEnvSchema | typeof xSimEnvSchema | typeof dataSimEnvSchema;
  portVariable: string;
  /** The app variables that point at it. */
  urlVariables: string[];
  /** The allowlist its private address must be in for the app to call it. */
  allowHostsVariable?: string;
}

/** The simulator services of the dev profile, all from the `sim` image (SIMULATOR picks one). */
const SIMULATORS: Record<string, Simulator> = {
  'llm-sim': { simulator: 'llm', schema: simEnvSchema, portVariable: 'SIM_PORT', urlVariables: ['OPENROUTER_BASE_URL'] },
  'x-sim': { simulator: 'x', schema: xSimEnvSchema, portVariable: 'X_SIM_PORT', urlVariables: ['X_API_BASE_URL'] },
  'data-sim': {
    simulator: 'data',
    schema: dataSimEnvSchema,
    portVariable: 'DATA_SIM_PORT',
    urlVariables: ['GDELT_BASE_URL', 'RELIEFWEB_BASE_URL', 'FRED_BASE_URL', 'WORLDBANK_BASE_URL', 'COMTRADE_BASE_URL'],
    allowHostsVariable: 'INGESTION_ALLOW_HOSTS',
  },
};

/** `.env`-style text (the format compose reads): NAME=value, with an optional ` # comment`. */
export function readEnvFile(text: string): Record<string, string> {
  const vars: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const match = /^([A-Z0-9_]+)=(.*)$/.exec(line.trim());
    if (match) vars[match[1]!] = match[2]!.replace(/\s+#.*$/, '').trim();
  }
  return vars;
}

/** Compose's interpolation: ${X}, ${X:-default}, ${X:?error}; an unset required one is a problem. */
function interpolate(value: string, vars: Record<string, string>, problems: string[], where: string): string {
  return value.replace(REFERENCE, (_all, name: string, op: string | undefined, arg: string | undefined) => {
    const set = vars[name];
    if (set) return set;
    if (op === ':?') problems.push(`${where}: ${name} is required (${arg})`);
    return op === ':-' ? (arg ?? '') : '';
  });
}

/** The secrets a service mounts: file name under /run/secrets → the secret of the file's `secrets:`. */
function mountedSecrets(service: Service): Map<string, string> {
  return new Map((service.secrets ?? []).map((s) => (typeof s === 'string' ? [s, s] : [s.target ?? s.source, s.source])));
}

/** X_FILE must name a secret the service mounts, which the file declares with a `file:` source. */
function checkSecretFile(name: string, key: string, value: string, service: Service, compose: ComposeFile, problems: string[]): void {
  const file = value.startsWith(SECRETS_DIR) ? value.slice(SECRETS_DIR.length) : undefined;
  const secret = file && mountedSecrets(service).get(file);
  if (!secret) return void problems.push(`${name}: ${key}=${value} is not a secret this service mounts`);
  if (!compose.secrets?.[secret]?.file) problems.push(`${name}: secret ${secret} has no file`);
}

/**
 * The secrets read through the secret store (STORE_SECRETS): no service but the app that reads
 * one is given it, as a variable (FRED_API_KEY) or a mounted secret (fred_api_key); that app
 * finds each, in its environment or as /run/secrets/<secret> with SECRETS_DIR=/run/secrets,
 * from a secret the file declares.
 */
function checkStoreSecrets(name: string, service: Service, compose: ComposeFile, problems: string[]): void {
  const env = service.environment ?? {};
  const mounted = mountedSecrets(service);
  for (const given of new Set([...Object.keys(env), ...mounted.keys(), ...mounted.values()])) {
    const owner = STORE_SECRETS[storeSecretOf(given) ?? ''];
    if (owner && owner !== name) problems.push(`${name}: is given ${given}, which only ${owner} reads`);
  }
  const dir = String(env.SECRETS_DIR ?? '').replace(/\/?$/, '/');
  for (const [secret, owner] of Object.entries(STORE_SECRETS)) {
    if (owner !== name || storeSecretVariable(secret) in env) continue;
    const source = mounted.get(secret);
    if (dir !== SECRETS_DIR || !source || !compose.secrets?.[source]?.file)
      problems.push(
        `${name}: ${secret} is neither in its environment (${storeSecretVariable(secret)}) nor a file of its SECRETS_DIR (/run/secrets/${secret}, SECRETS_DIR=/run/secrets)`,
      );
  }
}

function checkSecrets(name: string, service: Service, compose: ComposeFile, problems: string[]): void {
  for (const [key, raw] of Object.entries(service.environment ?? {})) {
    const value = String(raw);
    if (key.endsWith('_FILE')) {
      checkSecretFile(name, key, value, service, compose, problems);
      continue;
    }
    // A secret comes from .env, never from this file.
    if (SECRET_NAME.test(key) && !FROM_DOTENV.test(value)) problems.push(`${name}: ${key} must come from .env as \${${key}}`);
    const password = urlPassword(value);
    if (password && !FROM_DOTENV.test(password)) problems.push(`${name}: ${key} holds a password; take it from .env`);
  }
}

/** X_FILE=/run/secrets/… pointed at a local file holding a placeholder, so that the app's own parser reads it. */
function withLocalSecretFiles(env: Record<string, string>): Record<string, string> {
  const out = { ...env };
  const dir = mkdtempSync(path.join(tmpdir(), 'compose-secrets-'));
  for (const [key, value] of Object.entries(env)) {
    if (!key.endsWith('_FILE') || !value.startsWith(SECRETS_DIR)) continue;
    const file = path.join(dir, value.slice(SECRETS_DIR.length));
    writeFileSync(file, PLACEHOLDERS[key.slice(0, -'_FILE'.length)] ?? 'from-file');
    out[key] = file;
  }
  return out;
}

/** The simulator's port as it reads its environment (its default when unset), or undefined when the service is not there or its variables are wrong. */
function simulatorPort(name: string, compose: ComposeFile): number | undefined {
  const { schema, portVariable } = SIMULATORS[name]!;
  const parsed = schema.safeParse(compose.services[name]?.environment ?? {});
  return compose.services[name] && parsed.success ? ((parsed.data as Record<string, unknown>)[portVariable] as number) : undefined;
}

/**
 * An app variable that points at a simulator service of this file (http://x-sim:4020) must name
 * its port, and be in the app's allowlist of private hosts when the app checks one.
 */
function checkSimulatorLinks(app: AppEntry, env: Record<string, string>, compose: ComposeFile, problems: string[]): void {
  for (const [name, { urlVariables, allowHostsVariable }] of Object.entries(SIMULATORS)) {
    for (const urlVariable of urlVariables) {
      const value = env[urlVariable];
      const url = value && URL.canParse(value) ? new URL(value) : undefined;
      if (url?.hostname !== name) continue;
      const port = simulatorPort(name, compose);
      if (port === undefined) problems.push(`${app.name}: ${urlVariable}=${value} names ${name}, which is not a service with valid variables`);
      else if (Number(url.port || 80) !== port) problems.push(`${app.name}: ${urlVariable}=${value} asks port ${url.port || 80}; ${name} listens on ${port}`);
      const allowed = allowHostsVariable ? (env[allowHostsVariable] ?? '').split(',').map((h) => h.trim()) : [];
      if (allowHostsVariable && !allowed.includes(url.host) && !allowed.includes(`${url.hostname}:80`))
        problems.push(`${app.name}: ${urlVariable}=${value} is a private address ${allowHostsVariable} does not allow (add ${url.host})`);
    }
  }
}

/** A simulator service: only in the dev profile, from the `sim` image, running its own simulator with valid variables. */
function checkSimulator(name: string, service: Service, problems: string[]): void {
  const { simulator, schema, portVariable } = SIMULATORS[name]!;
  if (!service.profiles?.includes('dev') || !schema.safeParse(service.environment ?? {}).success)
    problems.push(`${name}: only in the dev profile, with valid ${portVariable}/HOST`);
  if (service.build?.args?.APP !== 'sim') problems.push(`${name}: built with APP=${service.build?.args?.APP}, not the sim image`);
  const runs = String(service.environment?.SIMULATOR ?? 'llm');
  if (runs !== simulator) problems.push(`${name}: runs SIMULATOR=${runs}, not ${simulator}`);
}

function checkApp(app: AppEntry, service: Service | undefined, vars: Record<string, string>, root: string, problems: string[], compose: ComposeFile): void {
  if (!service) return void problems.push(`${app.name}: no service of that name`);
  if (service.build?.args?.APP !== app.name) problems.push(`${app.name}: built with APP=${service.build?.args?.APP}`);
  const env: Record<string, string> = {};
  for (const [key, raw] of Object.entries(service.environment ?? {})) env[key] = interpolate(String(raw), vars, problems, `${app.name} ${key}`);
  // Parsed as the app parses its environment (an empty value counts as unset).
  problems.push(...envProblems(app, withLocalSecretFiles(env), root), ...undecidedSettings(app, env, root));
  checkSimulatorLinks(app, env, compose, problems);
  if (env.HOST !== '0.0.0.0') problems.push(`${app.name}: HOST must be 0.0.0.0 in a container`);
  if (Number(env[app.portVariable]) !== app.defaultPort)
    problems.push(`${app.name}: ${app.portVariable}=${env[app.portVariable]}, the registry says ${app.defaultPort}`);
  const probe = `http://127.0.0.1:${app.defaultPort}${app.healthPath}`;
  if (!service.healthcheck?.test?.join(' ').includes(probe)) problems.push(`${app.name}: its health check does not ask ${probe}`);
  if (service.depends_on?.migrate?.condition !== 'service_completed_successfully') problems.push(`${app.name}: does not wait for the migration`);
  if (app.kind === 'worker') {
    const drain = drainSeconds(app, env);
    if (!(Number.parseInt(service.stop_grace_period ?? '10', 10) > drain))
      problems.push(`${app.name}: stop_grace_period must be longer than its ${drain} s drain`);
  }
}

/**
 * What is wrong with a compose file against the app registry and an env file: every app a
 * service, built as itself, its variables complete (parsed by the app's own schemas), its
 * port and health check the registry's, no secret written in, Redis durable.
 */
export function composeProblems(compose: ComposeFile, vars: Record<string, string>, root: string): string[] {
  const problems: string[] = [];
  const services = compose.services ?? {};
  for (const [name, service] of Object.entries(services)) checkSecrets(name, service, compose, problems);
  for (const [name, service] of Object.entries(services)) checkStoreSecrets(name, service, compose, problems);
  for (const app of APPS) checkApp(app, services[app.name], vars, root, problems, compose);
  const known = new Set<string>([...APPS.map((a) => a.name), 'redis', 'postgres', 'migrate', ...Object.keys(SIMULATORS)]);
  for (const name of Object.keys(services)) if (!known.has(name)) problems.push(`${name}: not an app of the registry`);
  const redis = services.redis?.command?.join(' ') ?? '';
  if (!redis.includes('--appendonly yes') || !redis.includes('--maxmemory-policy noeviction'))
    problems.push('redis: needs --appendonly yes and --maxmemory-policy noeviction');
  const postgres = services.postgres?.environment ?? {};
  const password = postgres.POSTGRES_PASSWORD_FILE ?? interpolate(String(postgres.POSTGRES_PASSWORD ?? ''), vars, problems, 'postgres');
  if (!password) problems.push('postgres: POSTGRES_PASSWORD is empty; set it in .env (the image refuses to initialise without one)');
  const migrate = services.migrate;
  if (migrate?.command?.join(' ') !== 'node packages/db/dist/cli/migrate.js') problems.push('migrate: must run the migration CLI');
  for (const name of Object.keys(SIMULATORS)) if (services[name]) checkSimulator(name, services[name], problems);
  return problems;
}

/** How many host ports a published port like '3000-3001:3000' (or '127.0.0.1:3000:3000') takes. */
function hostPorts(mapping: string): number {
  const parts = mapping.split(':');
  const [from, to] = (parts.length > 1 ? parts[parts.length - 2]! : '').split('-').map(Number);
  return to === undefined ? 1 : to! - from! + 1;
}

/**
 * What a production deployment (docker-compose.yml with docker-compose.prod.yml over it) must
 * also hold: no published database port, every secret from a git- and docker-ignored file,
 * at least two replicas of every app, and a host port for each API replica.
 */
export function productionProblems(compose: ComposeFile, root: string): string[] {
  const problems: string[] = [];
  const services = compose.services ?? {};
  for (const name of ['postgres', 'redis']) if (services[name]?.ports?.length) problems.push(`${name}: publishes ${services[name]!.ports!.join(', ')}`);
  for (const [name, service] of Object.entries(services)) {
    for (const key of Object.keys(service.environment ?? {}))
      if (SECRET_NAME.test(key) && !key.endsWith('_FILE'))
        problems.push(
          `${name}: ${key} is set in the environment; read it from a file (${storeSecretOf(key) ? `${storeSecretOf(key)} in SECRETS_DIR` : `${key}_FILE`})`,
        );
    if (Object.values(service.environment ?? {}).some((value) => urlPassword(String(value))))
      problems.push(`${name}: a URL with a password is in the environment`);
  }
  for (const app of APPS) {
    const replicas = services[app.name]?.deploy?.replicas ?? 1;
    if (replicas < 2) problems.push(`${app.name}: ${replicas} replica; production runs at least 2`);
  }
  const api = services.api;
  const published = (api?.ports ?? []).reduce((sum, p) => sum + hostPorts(String(p)), 0);
  if (published < (api?.deploy?.replicas ?? 1)) problems.push(`api: ${api?.deploy?.replicas} replicas share ${published} published port(s)`);
  const ignored = (file: string) => readFileSync(path.join(root, file), 'utf8').split('\n');
  for (const [name, secret] of Object.entries(compose.secrets ?? {})) {
    const dir = path.posix.normalize(secret.file ?? '').split('/')[0]!;
    if (!ignored('.gitignore').includes(`${dir}/`) || !ignored('.dockerignore').includes(dir))
      problems.push(`secret ${name}: ${secret.file} must be in a folder that .gitignore and .dockerignore leave out`);
  }
  return problems;
}
