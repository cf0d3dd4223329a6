import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { format, inspect, promisify } from 'node:util';
import { GsmSimulator } from '@conveyor/sim';
import { Registry } from 'prom-client';
import { EnvSecretBackend, GsmSecretBackend, SecretStore, createGsmClient, createSecretStore } from '../src';
import { rejectionOf } from './rejection-of';
import { capturedLogger } from './x-test-kit';

// One secret whose value is a canary new to each run, read through every backend (the
// environment, SECRETS_DIR, Secret Manager through the official client against GsmSimulator)
// and driven down every failure path, the set-secret CLI's included. Everything that could carry
// it out is kept: the errors (message, stack, JSON, inspect), the app's winston log of them, the
// console and this process's stdout and stderr, the Google SDK's own debug log (switched on with
// GOOGLE_SDK_NODE_LOGGING, as someone debugging a connection would), the metrics and the CLI's
// output. The canary must be in none of them, as text or as the encodings a log would show it in.
const CANARY = `canary-${randomUUID()}`;
const CLI = path.resolve(__dirname, '../dist/cli/set-secret.js');
const FORMS: Record<string, string> = {
  text: CANARY,
  base64: Buffer.from(CANARY).toString('base64'),
  hex: Buffer.from(CANARY).toString('hex'),
  // JSON.stringify of a Buffer or a Uint8Array: {"type":"Buffer","data":[99,97,...]} or {"0":99,...}.
  bytes: [...Buffer.from(CANARY)].join(','),
};
const leaksIn = (text: string) => Object.keys(FORMS).filter((form) => text.includes(FORMS[form]!));

const written: string[] = [];
const { logger, lines } = capturedLogger();
const registry = new Registry();
const errors: Error[] = [];
let sim: GsmSimulator;
let endpoint: string;
let dir: string;
const stores: SecretStore[] = [];

beforeAll(() => {
  process.env.GOOGLE_SDK_NODE_LOGGING = '*';
  for (const method of ['log', 'info', 'warn', 'error', 'debug', 'trace'] as const) {
    jest.spyOn(console, method).mockImplementation((...args: unknown[]) => void written.push(format(...args)));
  }
  for (const stream of [process.stdout, process.stderr]) {
    jest.spyOn(stream, 'write').mockImplementation((chunk: string | Uint8Array) => written.push(String(chunk)) > 0);
  }
});
afterAll(() => {
  jest.restoreAllMocks();
  delete process.env.GOOGLE_SDK_NODE_LOGGING;
});
beforeEach(async () => {
  sim = new GsmSimulator();
  endpoint = await sim.listen();
  dir = mkdtempSync(path.join(tmpdir(), 'conveyor-canary-'));
});
afterEach(async () => {
  await Promise.all(stores.splice(0).map((s) => s.close()));
  await sim.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Every backend: SECRETS_DIR, Secret Manager (project acme, on the simulator), the environment. */
function storeOf(env: Record<string, string> = {}): SecretStore {
  const config = { SECRETS_DIR: dir, SECRETS_CACHE_TTL_MS: 0, SECRET_MANAGER_ENABLED: true, GCP_PROJECT_ID: 'acme', SECRET_MANAGER_ENDPOINT: endpoint };
  const store = createSecretStore(config, { env, registry });
  stores.push(store);
  return store;
}

/** Secret Manager alone, without the client's retries (a 503 or 429 is reported at once), then the environment. */
function gsmOnlyStore(env: Record<string, string> = {}): SecretStore {
  const store = new SecretStore({
    backends: [new GsmSecretBackend(createGsmClient(endpoint), 'acme', { maxRetries: 0 }), new EnvSecretBackend(env)],
    cacheTtlMs: 0,
  });
  stores.push(store);
  return store;
}

/** The call's error, kept and logged the way an app logs a failed task (the error, and its message). */
async function failure(call: Promise<unknown>): Promise<Error> {
  const error = await rejectionOf(call);
  errors.push(error);
  logger.error('secret lookup failed', { error, reason: error.message });
  return error;
}

/** Everything kept so far, as text. */
async function everything(): Promise<string> {
  const ofErrors = errors.map((e) => [e.message, e.stack, JSON.stringify(e), inspect(e, { depth: 5 }), String(e.cause ?? '')].join('\n'));
  return [...ofErrors, ...lines, ...written, await registry.metrics()].join('\n');
}

async function cli(env: Record<string, string>, ...args: string[]): Promise<{ code: number; output: string }> {
  const { SECRETS_DIR: _dir, SECRET_MANAGER_ENABLED: _gsm, ...inherited } = process.env;
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [CLI, ...args], { env: { ...inherited, GOOGLE_SDK_NODE_LOGGING: '*', ...env } });
    return { code: 0, output: stdout + stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, output: e.stdout + e.stderr };
  }
}

it('the harness catches console and stream writes, and finds the canary in each form a log could hold it', () => {
  console.error('probe %d', 1);
  process.stderr.write('probe 2');
  expect(written.splice(0)).toEqual(['probe 1', 'probe 2']);
  const buffer = Buffer.from(CANARY);
  expect(leaksIn(`x ${JSON.stringify({ payload: { data: buffer } })}`)).toEqual(['bytes']);
  expect(leaksIn(JSON.stringify({ data: buffer.toString('base64') }))).toEqual(['base64']);
  expect(leaksIn(`${CANARY} ${buffer.toString('hex')}`)).toEqual(['text', 'hex']);
});

it('is read from each backend, and appears in nothing logged or counted', async () => {
  writeFileSync(path.join(dir, 'in_dir'), `${CANARY}\n`);
  sim.put('acme', 'in_gsm', 'an older version');
  sim.put('acme', 'in_gsm', CANARY);
  const store = storeOf({ IN_ENV: CANARY });
  for (const name of ['in_dir', 'in_gsm', 'in_env']) {
    await expect(store.getSecret(name)).resolves.toBe(CANARY);
    logger.info('secret read', { name });
  }
  expect(lines.filter((line) => line.includes('"secret read"'))).toHaveLength(3);
  // GOOGLE_SDK_NODE_LOGGING is set: unless silenced, the client's debug log writes the access answer's bytes to the console.
  expect(leaksIn(await everything())).toEqual([]);
});

it('appears in no error or log line of a failed lookup or write, whatever the backend answers', async () => {
  const store = storeOf({ FRED_API_KEY: CANARY });
  // The canary pasted where a name belongs, in the forms the store refuses (a valid name is named in errors: names are not secret).
  for (const name of [`${CANARY}/x`, `../${CANARY}`, `${CANARY}.${'x'.repeat(128)}`, `${CANARY}\n`]) await failure(store.getSecret(name));
  await failure(store.setSecret(`.${CANARY}`, CANARY));
  // A name nowhere, and one whose file cannot be read.
  await failure(store.getSecret('missing_key'));
  mkdirSync(path.join(dir, 'a_directory'));
  await failure(store.getSecret('a_directory'));
  // Secret Manager answering the canary with a wrong checksum; refusing the canary as a new version.
  sim.put('acme', 'corrupted', CANARY);
  sim.wrongChecksums = true;
  await failure(store.getSecret('corrupted'));
  sim.wrongChecksums = false;
  await failure(store.setSecret('not.a.gsm.id', CANARY));
  // Google-shaped error answers whose message even carries the canary (a proxy echoing what it got): never repeated.
  sim.put('acme', 'fred_api_key', CANARY);
  for (const status of [400, 401, 403, 429, 500, 503]) {
    sim.failWith = { status, message: `refused ${CANARY} (${FORMS.base64})` };
    await failure(gsmOnlyStore({ FRED_API_KEY: CANARY }).getSecret('fred_api_key'));
    await failure(gsmOnlyStore().setSecret('fred_api_key', CANARY));
  }
  sim.failWith = undefined;
  // Secret Manager out of reach.
  const unreachable = gsmOnlyStore({ FRED_API_KEY: CANARY });
  await sim.close();
  await failure(unreachable.getSecret('fred_api_key'));
  await failure(unreachable.setSecret('fred_api_key', CANARY));

  expect(errors.map((e) => e.name)).toEqual([
    ...Array(5).fill('InvalidSecretRefError'),
    ...Array(3).fill('SecretNotFoundError'),
    'SecretWriteError',
    ...Array(6).fill(['SecretNotFoundError', 'SecretWriteError']).flat(),
    'SecretNotFoundError',
    'SecretWriteError',
  ]);
  // What the errors do say: the place and the status.
  expect(errors[5]!.message).toBe(
    `secret missing_key is not available: looked in ${path.join(dir, 'missing_key')}, Secret Manager projects/acme/secrets/missing_key (latest version) and the environment variable MISSING_KEY`,
  );
  expect(errors.slice(9, 15).map((e) => e.message)).toEqual(
    ['INVALID_ARGUMENT', 'UNAUTHENTICATED', 'PERMISSION_DENIED'].flatMap((status) => [
      `secret fred_api_key is not available: Secret Manager did not answer for projects/acme/secrets/fred_api_key (${status})`,
      `Secret Manager refused a new version of projects/acme/secrets/fred_api_key (${status})`,
    ]),
  );
  expect(lines.filter((line) => line.includes('"secret lookup failed"'))).toHaveLength(errors.length);
  expect(leaksIn(await everything())).toEqual([]);
});

it('appears in none of the set-secret CLI’s output, on success or failure, with the Google SDK’s debug log on', async () => {
  const secrets = path.join(dir, 'secrets');
  const gsm = { SECRET_MANAGER_ENABLED: 'true', GCP_PROJECT_ID: 'acme', SECRET_MANAGER_ENDPOINT: endpoint };
  const valueFile = path.join(dir, 'value.txt');
  writeFileSync(valueFile, `${CANARY}\n`);
  // At once (each run is a Node.js process loading the Google client), and those that write to Secret Manager one secret each.
  const runs = await Promise.all([
    cli({ SECRETS_DIR: secrets }, 'fred_api_key', CANARY),
    cli({ SECRETS_DIR: secrets }, 'from_file', '--from-file', valueFile),
    cli(gsm, 'fred_api_key', CANARY),
    cli(gsm, 'from_file', '--from-file', valueFile),
    cli(gsm, 'not.a.gsm.id', CANARY),
    cli({ SECRETS_DIR: secrets }, `../${CANARY}`, CANARY),
    cli({}, 'fred_api_key', CANARY),
  ]);
  sim.failWith = { status: 403, message: `refused ${CANARY}` };
  runs.push(await cli(gsm, 'fred_api_key', CANARY));
  sim.failWith = undefined;
  expect(runs.map((r) => r.code)).toEqual([0, 0, 0, 0, 1, 2, 1, 1]);
  expect(runs[2]!.output).toBe('stored secret fred_api_key in Secret Manager projects/acme/secrets/fred_api_key (latest version)\n');
  expect(runs.at(-1)!.output).toBe('set-secret failed: Secret Manager refused a new version of projects/acme/secrets/fred_api_key (PERMISSION_DENIED)\n');
  // The writes did happen: the canary is where the CLI said.
  const inDirectory = createSecretStore({ SECRETS_DIR: secrets, SECRETS_CACHE_TTL_MS: 0 }, { env: {} });
  const inGsm = gsmOnlyStore();
  for (const store of [inDirectory, inGsm]) {
    await expect(store.getSecret('fred_api_key')).resolves.toBe(CANARY);
    await expect(store.getSecret('from_file')).resolves.toBe(CANARY);
  }
  expect(runs.map((r) => leaksIn(r.output))).toEqual(runs.map(() => []));
}, 180_000); // eight Node.js processes loading the Google client, on a machine that may be busy: a bound for a hang
