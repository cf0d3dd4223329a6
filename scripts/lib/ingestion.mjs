import { createRequire } from 'node:module';
import path from 'node:path';
import { DATA_SIM, portOf } from './apps.mjs';

/**
 * Where each source of ingestion is, as the scraping worker reads it (ingestionEnvSchema in
 * packages/config; tests/e2e/test/stack-ingestion.test.ts keeps the two in step).
 */
const SOURCE_URL_VARIABLES = ['GDELT_BASE_URL', 'RELIEFWEB_BASE_URL', 'FRED_BASE_URL', 'WORLDBANK_BASE_URL', 'COMTRADE_BASE_URL'];

/** INGESTION_AUTOSTART as the API and the scheduler read it: on unless it says false. */
const autostarts = (env) => env.INGESTION_AUTOSTART !== 'false';

/**
 * What npm start does about ingestion, from its environment, before anything starts.
 *
 * - No source URL set: the five sources are the data-source simulator (on DATA_SIM_PORT). The
 *   scraping worker (and no other app) gets every *_BASE_URL pointing at it, the simulator's
 *   address in INGESTION_ALLOW_HOSTS (a loopback host is refused otherwise), and a secret store
 *   that reads the environment alone, where devSecrets(root) puts the simulator's keys: a
 *   SECRETS_DIR or Secret Manager of the user's would hold real keys, which the simulator refuses.
 * - Any source URL set: nothing is added; the sources are those URLs and the public APIs, the
 *   keys the secret store's (SECRETS_DIR, Secret Manager, then the environment).
 *
 * The system schedules are left to INGESTION_AUTOSTART (on by default), so that a developer
 * sees runs happen. Returns the scraping worker's variables (scrapingEnv), the step line to
 * print as the simulator starts, and the summary's [label, text] lines.
 */
export function ingestionPlan(env) {
  const schedules = autostarts(env)
    ? 'the five system schedules start enabled (GDELT every 15 minutes, the others daily or monthly); INGESTION_AUTOSTART=false to start them off'
    : 'the system schedules start disabled (INGESTION_AUTOSTART=false); turn one on with PATCH /api/v1/ingestion/sources/{source}';
  const configured = SOURCE_URL_VARIABLES.filter((name) => env[name]);
  if (configured.length) {
    return {
      simulated: false,
      scrapingEnv: {},
      lines: [
        ['data sources', `${configured.join(', ')} as set, the others the public APIs; FRED_API_KEY and COMTRADE_SUBSCRIPTION_KEY from the secret store`],
        ['ingestion', schedules],
      ],
    };
  }
  const port = portOf(DATA_SIM, env);
  const simUrl = `http://127.0.0.1:${port}`;
  const allowHosts = [env.INGESTION_ALLOW_HOSTS, `127.0.0.1:${port}`].filter(Boolean).join(',');
  const scrapingEnv = {
    ...Object.fromEntries(SOURCE_URL_VARIABLES.map((name) => [name, simUrl])),
    INGESTION_ALLOW_HOSTS: allowHosts,
    SECRETS_DIR: '',
    SECRET_MANAGER_ENABLED: 'false',
  };
  return {
    simulated: true,
    scrapingEnv,
    step: `no source URL (${SOURCE_URL_VARIABLES.join(', ')}): ingestion goes to the local data-source simulator at ${simUrl}`,
    lines: [
      ['data sources', `the local data-source simulator (${simUrl}), with its development keys; set the *_BASE_URL variables for the public APIs`],
      ['ingestion', schedules],
    ],
  };
}

/**
 * The simulator's development keys (SIM_FRED_API_KEY and SIM_COMTRADE_SUBSCRIPTION_KEY of the
 * built @conveyor/sim, the keys its FRED and Comtrade routes accept), as the variables the
 * worker's secret store reads for the secrets fred_api_key and comtrade_subscription_key.
 * Read once the workspace is built.
 */
export function devSecrets(root) {
  const sim = createRequire(import.meta.url)(path.join(root, 'packages', 'sim', 'dist', 'index.js'));
  if (!sim.SIM_FRED_API_KEY || !sim.SIM_COMTRADE_SUBSCRIPTION_KEY)
    throw new Error(
      'packages/sim/dist has no SIM_FRED_API_KEY or SIM_COMTRADE_SUBSCRIPTION_KEY: rebuild it (pnpm exec turbo run build --filter=@conveyor/sim)',
    );
  return { FRED_API_KEY: sim.SIM_FRED_API_KEY, COMTRADE_SUBSCRIPTION_KEY: sim.SIM_COMTRADE_SUBSCRIPTION_KEY };
}
