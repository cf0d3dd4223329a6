import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { GsmSimulator } from '@conveyor/sim';
import { EnvSecretBackend, GsmSecretBackend, SecretNotFoundError, SecretStore, SecretWriteError, createGsmClient, createSecretStore } from '../src';
import { rejectionOf } from './rejection-of';

// The official @google-cloud/secret-manager client (REST transport) against the loopback simulator.
const CANARY = 'canary-gsm-91b2-must-never-leak';
const CLI = path.resolve(__dirname, '../dist/cli/set-secret.js');

let sim: GsmSimulator;
let endpoint: string;
let dir: string;
const stores: SecretStore[] = [];
beforeEach(async () => {
  sim = new GsmSimulator();
  endpoint = await sim.listen();
  dir = mkdtempSync(path.join(tmpdir(), 'conveyor-gsm-'));
});
afterEach(async () => {
  await Promise.all(stores.splice(0).map((s) => s.close()));
  await sim.close();
  rmSync(dir, { recursive: true, force: true });
});

function storeOf(env: Record<string, string> = {}, withDir = true): SecretStore {
  const config = {
    SECRETS_DIR: withDir ? dir : undefined,
    SECRETS_CACHE_TTL_MS: 0,
    SECRET_MANAGER_ENABLED: true,
    GCP_PROJECT_ID: 'acme',
    SECRET_MANAGER_ENDPOINT: endpoint,
  };
  const store = createSecretStore(config, { env });
  stores.push(store);
  return store;
}

it('looks in the directory, then Secret Manager (latest version), then the environment', async () => {
  writeFileSync(path.join(dir, 'in_dir'), 'from-directory');
  sim.put('acme', 'in_dir', 'gsm-loses-to-directory');
  sim.put('acme', 'in_gsm', 'old');
  sim.put('acme', 'in_gsm', 'from-gsm');
  const store = storeOf({ IN_GSM: 'env-loses', IN_ENV: 'from-env' });
  await expect(store.getSecret('in_dir')).resolves.toBe('from-directory');
  await expect(store.getSecret('in_gsm')).resolves.toBe('from-gsm');
  await expect(store.getSecret('in_env')).resolves.toBe('from-env');
  expect(sim.requests.every((r) => !r.authorized)).toBe(true);
});

it('names every place looked when the secret is nowhere', async () => {
  const error = await rejectionOf(storeOf().getSecret('fred_api_key'));
  expect(error).toBeInstanceOf(SecretNotFoundError);
  expect(error.message).toBe(
    `secret fred_api_key is not available: looked in ${path.join(dir, 'fred_api_key')}, Secret Manager projects/acme/secrets/fred_api_key (latest version) and the environment variable FRED_API_KEY`,
  );
});

it('setSecret creates the secret, then adds versions; the latest is read', async () => {
  const store = storeOf();
  await expect(store.setSecret('fred_api_key', 'v1')).resolves.toBe('Secret Manager projects/acme/secrets/fred_api_key (latest version)');
  await store.setSecret('fred_api_key', CANARY);
  await expect(store.getSecret('fred_api_key')).resolves.toBe(CANARY);
  expect(sim.requests.map((r) => `${r.method} ${r.path} ${r.status}`)).toEqual([
    'POST /v1/projects/acme/secrets/fred_api_key:addVersion 404',
    'POST /v1/projects/acme/secrets 200',
    'POST /v1/projects/acme/secrets/fred_api_key:addVersion 200',
    'POST /v1/projects/acme/secrets/fred_api_key:addVersion 200',
    'GET /v1/projects/acme/secrets/fred_api_key/versions/latest:access 200',
  ]);
});

it('reports Secret Manager out of reach with the status only, never a value', async () => {
  // No retries, so the refused connection is reported at once (the default retries UNAVAILABLE for up to 10 s).
  const store = new SecretStore({
    backends: [new GsmSecretBackend(createGsmClient(endpoint), 'acme', { maxRetries: 0 }), new EnvSecretBackend({ FRED_API_KEY: CANARY })],
    cacheTtlMs: 0,
  });
  stores.push(store);
  sim.put('acme', 'fred_api_key', CANARY);
  await sim.close();
  const read = await rejectionOf(store.getSecret('fred_api_key'));
  expect(read).toBeInstanceOf(SecretNotFoundError);
  expect(read.message).toMatch(/^secret fred_api_key is not available: Secret Manager did not answer for projects\/acme\/secrets\/fred_api_key \(/);
  const write = await rejectionOf(store.setSecret('fred_api_key', CANARY));
  expect(write).toBeInstanceOf(SecretWriteError);
  expect(write.message).toMatch(/^Secret Manager refused a new version of projects\/acme\/secrets\/fred_api_key \(/);
  expect(`${read.message}${read.stack}${write.message}${write.stack}`).not.toContain(CANARY);
});

it('refuses an answer whose CRC32C does not match its data, without the data', async () => {
  sim.put('acme', 'fred_api_key', CANARY);
  sim.wrongChecksums = true;
  const error = await rejectionOf(storeOf({ FRED_API_KEY: 'env-not-reached' }, false).getSecret('fred_api_key'));
  expect(error).toBeInstanceOf(SecretNotFoundError);
  expect(error.message).toBe(
    "secret fred_api_key is not available: Secret Manager's answer for projects/acme/secrets/fred_api_key fails its checksum (corrupted in transit)",
  );
});

it('the set-secret CLI adds a version in Secret Manager when enabled, printing only where', async () => {
  const { SECRETS_DIR: _dir, ...inherited } = process.env;
  const env = { ...inherited, SECRET_MANAGER_ENABLED: 'true', GCP_PROJECT_ID: 'acme', SECRET_MANAGER_ENDPOINT: endpoint, SECRETS_DIR: dir };
  const { stdout, stderr } = await promisify(execFile)(process.execPath, [CLI, 'fred_api_key', CANARY], { env });
  expect(stdout + stderr).toBe('stored secret fred_api_key in Secret Manager projects/acme/secrets/fred_api_key (latest version)\n');
  await expect(storeOf({}, false).getSecret('fred_api_key')).resolves.toBe(CANARY);
}, 120_000); // a Node.js process loading the Google client: a bound for a hang, not a speed
