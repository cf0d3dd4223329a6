import { APPS, type AppEntry, simEnvSchema } from '@conveyor/config';
import { SECRET_NAME, drainSeconds, envProblems, urlPassword } from './app-env';

/** A compose service as far as these checks read it (after YAML merge keys are applied). */
interface Service {
  build?: { args?: Record<string, string> };
  environment?: Record<string, string | number>;
  healthcheck?: { test?: string[] };
  depends_on?: Record<string, { condition: string }>;
  stop_grace_period?: string;
  command?: string[];
  profiles?: string[];
}
export interface ComposeFile {
  services: Record<string, Service>;
}

/** A value taken whole from .env: ${NAME} or ${NAME:?message}, never with a default. */
const FROM_DOTENV = /^\$\{\w+(:\?[^}]*)?\}$/;
const REFERENCE = /\$\{(\w+)(?:(:-|:\?)([^}]*))?\}/g;

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

function checkSecrets(name: string, service: Service, problems: string[]): void {
  for (const [key, raw] of Object.entries(service.environment ?? {})) {
    const value = String(raw);
    // A secret comes from .env, never from this file.
    if (SECRET_NAME.test(key) && !FROM_DOTENV.test(value)) problems.push(`${name}: ${key} must come from .env as \${${key}}`);
    const password = urlPassword(value);
    if (password && !FROM_DOTENV.test(password)) problems.push(`${name}: ${key} holds a password; take it from .env`);
  }
}

function checkApp(app: AppEntry, service: Service | undefined, vars: Record<string, string>, root: string, problems: string[]): void {
  if (!service) return void problems.push(`${app.name}: no service of that name`);
  if (service.build?.args?.APP !== app.name) problems.push(`${app.name}: built with APP=${service.build?.args?.APP}`);
  const env: Record<string, string> = {};
  for (const [key, raw] of Object.entries(service.environment ?? {})) env[key] = interpolate(String(raw), vars, problems, `${app.name} ${key}`);
  // Parsed as the app parses its environment (an empty value counts as unset).
  problems.push(...envProblems(app, env, root));
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
  for (const [name, service] of Object.entries(services)) checkSecrets(name, service, problems);
  for (const app of APPS) checkApp(app, services[app.name], vars, root, problems);
  const known = new Set<string>([...APPS.map((a) => a.name), 'redis', 'postgres', 'migrate', 'llm-sim']);
  for (const name of Object.keys(services)) if (!known.has(name)) problems.push(`${name}: not an app of the registry`);
  const redis = services.redis?.command?.join(' ') ?? '';
  if (!redis.includes('--appendonly yes') || !redis.includes('--maxmemory-policy noeviction'))
    problems.push('redis: needs --appendonly yes and --maxmemory-policy noeviction');
  const migrate = services.migrate;
  if (migrate?.command?.join(' ') !== 'node packages/db/dist/cli/migrate.js') problems.push('migrate: must run the migration CLI');
  const sim = services['llm-sim'];
  if (sim && (!sim.profiles?.includes('dev') || !simEnvSchema.safeParse(sim.environment ?? {}).success))
    problems.push('llm-sim: only in the dev profile, with valid SIM_PORT/HOST');
  return problems;
}
