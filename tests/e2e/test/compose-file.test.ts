import { readFileSync } from 'node:fs';
import path from 'node:path';
import { APPS } from '@conveyor/config';
import { SIM_COMTRADE_SUBSCRIPTION_KEY, SIM_FRED_API_KEY } from '@conveyor/sim';
import { importedEnvSchemas } from './app-env';
import { type ComposeFile, composeProblems, productionProblems, readEnvFile } from './compose-check';
import { loadCompose } from './compose-load';

// docker-compose.yml against the app registry, read as compose reads it (merge keys, .env
// interpolation), with .env.example as the .env plus the two secrets a user must add.
const root = path.resolve(__dirname, '../../..');
const load = (): ComposeFile => loadCompose(root, 'docker-compose.yml') as unknown as ComposeFile;
/** `docker compose -f docker-compose.yml -f docker-compose.prod.yml`, merged as compose merges them. */
const loadProduction = (): ComposeFile => loadCompose(root, 'docker-compose.yml', 'docker-compose.prod.yml') as unknown as ComposeFile;
/** A service of the file, which the cases below change. */
const service = (c: ComposeFile, name: string) => c.services[name]!;
const vars = { ...readEnvFile(readFileSync(path.join(root, '.env.example'), 'utf8')), POSTGRES_PASSWORD: 'from-dotenv', OPENROUTER_API_KEY: 'from-dotenv' };

it('runs every app of the registry with its variables, port and health check, and holds no secret', () => {
  expect(composeProblems(load(), vars, root)).toEqual([]);
});

it('parses each app with the environment schemas its own source imports: the LLM workers with the LLM ones, the publishing worker with the X ones', () => {
  expect(Object.fromEntries(APPS.map((app) => [app.name, importedEnvSchemas(app, root)]))).toEqual({
    api: ['apiEnvSchema'],
    scheduler: ['schedulerEnvSchema'],
    'worker-scraping': ['ingestionEnvSchema', 'secretsEnvSchema'],
    'worker-analysis': ['llmEnvSchema'],
    'worker-generation': ['llmEnvSchema'],
    'worker-monitoring': [],
    'worker-publishing': ['publishingEnvSchema', 'xApiEnvSchema'],
  });
});

it('runs the publishing worker against the X simulator of the dev profile as .env.example says (X_API_BASE_URL=http://x-sim:4020)', () => {
  const dev = { ...vars, OPENROUTER_BASE_URL: 'http://llm-sim:4010/v1', X_API_BASE_URL: 'http://x-sim:4020', X_TOKEN_DEV: 'x-sim-dev-token' };
  expect(composeProblems(load(), dev, root)).toEqual([]);
  const sim = load().services['x-sim']!;
  expect(sim).toMatchObject({ profiles: ['dev'], image: 'conveyor/sim', environment: { SIMULATOR: 'x', X_SIM_PORT: 4020 } });
  expect(composeProblems(load(), { ...dev, X_API_BASE_URL: 'http://x-sim:4021' }, root)).toEqual([
    'worker-publishing: X_API_BASE_URL=http://x-sim:4021 asks port 4021; x-sim listens on 4020',
  ]);
});

describe('ingestion against the data-source simulator of the dev profile', () => {
  const sources = ['GDELT', 'RELIEFWEB', 'FRED', 'WORLDBANK', 'COMTRADE'];
  const dev = {
    ...vars,
    ...Object.fromEntries(sources.map((s) => [`${s}_BASE_URL`, 'http://data-sim:4030'])),
    INGESTION_ALLOW_HOSTS: 'data-sim:4030',
    FRED_API_KEY: SIM_FRED_API_KEY,
    COMTRADE_SUBSCRIPTION_KEY: SIM_COMTRADE_SUBSCRIPTION_KEY,
  };

  it('runs the scraping worker against data-sim (SIMULATOR=data) as the file says, its keys from .env', () => {
    expect(composeProblems(load(), dev, root)).toEqual([]);
    expect(load().services['data-sim']).toMatchObject({ profiles: ['dev'], image: 'conveyor/sim', environment: { SIMULATOR: 'data', DATA_SIM_PORT: 4030 } });
    expect(load().services['worker-scraping']!.environment).toMatchObject({
      FRED_API_KEY: '${FRED_API_KEY:-}',
      COMTRADE_SUBSCRIPTION_KEY: '${COMTRADE_SUBSCRIPTION_KEY:-}',
    });
  });

  it('names a source on another port than data-sim, and data-sim missing from INGESTION_ALLOW_HOSTS', () => {
    expect(composeProblems(load(), { ...dev, FRED_BASE_URL: 'http://data-sim:4031' }, root)).toEqual([
      'worker-scraping: FRED_BASE_URL=http://data-sim:4031 asks port 4031; data-sim listens on 4030',
      'worker-scraping: FRED_BASE_URL=http://data-sim:4031 is a private address INGESTION_ALLOW_HOSTS does not allow (add data-sim:4031)',
    ]);
    const problems = composeProblems(load(), { ...dev, INGESTION_ALLOW_HOSTS: '' }, root);
    expect(problems).toHaveLength(5);
    expect(problems).toContain(
      'worker-scraping: GDELT_BASE_URL=http://data-sim:4030 is a private address INGESTION_ALLOW_HOSTS does not allow (add data-sim:4030)',
    );
  });
});

it('does not start without the secrets it takes from .env: Postgres has no password, the LLM workers no key', () => {
  const problems = composeProblems(load(), { ...vars, POSTGRES_PASSWORD: '', OPENROUTER_API_KEY: '' }, root);
  expect(problems).toContain('postgres: POSTGRES_PASSWORD is empty; set it in .env (the image refuses to initialise without one)');
  expect(problems.filter((p) => /OPENROUTER_API_KEY/.test(p)).map((p) => p.split(':')[0])).toEqual(['worker-analysis', 'worker-generation']);
});

describe('docker-compose.prod.yml over docker-compose.yml', () => {
  // A production .env holds no secret: they come from files.
  const settings = readEnvFile(readFileSync(path.join(root, '.env.example'), 'utf8'));

  it('still runs every app with its variables (secrets read from files by the apps themselves), and holds no secret', () => {
    expect(composeProblems(loadProduction(), settings, root)).toEqual([]);
    expect(productionProblems(loadProduction(), root)).toEqual([]);
  });

  it('publishes no database port, takes every secret from a file and runs two of each app', () => {
    const prod = loadProduction();
    expect(prod.services.postgres!.ports).toBeUndefined();
    expect(prod.services.api!.environment!.DATABASE_URL).toBeUndefined();
    expect(prod.services['worker-analysis']!.environment).toMatchObject({
      DATABASE_URL_FILE: '/run/secrets/database_url',
      OPENROUTER_API_KEY_FILE: '/run/secrets/openrouter_api_key',
    });
    expect(prod.services['worker-analysis']!.secrets).toEqual(['database_url', 'openrouter_api_key']);
    expect(prod.services['worker-publishing']!.environment).toMatchObject({ X_TOKEN_MAIN_FILE: '/run/secrets/x_token_main' });
    expect(prod.services['worker-publishing']!.environment).not.toHaveProperty('X_TOKEN_MAIN');
    expect(prod.services['worker-publishing']!.environment).not.toHaveProperty('X_TOKEN_DEV');
    expect(prod.services['worker-publishing']!.secrets).toEqual(['database_url', 'x_token_main']);
    // The sources' keys: files of SECRETS_DIR named by the secret the store asks for.
    expect(prod.services['worker-scraping']!.environment).toMatchObject({ SECRETS_DIR: '/run/secrets' });
    expect(prod.services['worker-scraping']!.environment).not.toHaveProperty('FRED_API_KEY');
    expect(prod.services['worker-scraping']!.environment).not.toHaveProperty('COMTRADE_SUBSCRIPTION_KEY');
    expect(prod.services['worker-scraping']!.secrets).toEqual(['database_url', 'fred_api_key', 'comtrade_subscription_key']);
    const mountingKeys = Object.entries(prod.services)
      .filter(([, s]) => JSON.stringify(s.secrets ?? []).match(/fred_api_key|comtrade_subscription_key/))
      .map(([name]) => name);
    expect(mountingKeys).toEqual(['worker-scraping']);
    expect(prod.services.api!.ports).toEqual(['3000-3001:3000']);
    expect(prod.services.scheduler!.deploy).toMatchObject({ replicas: 2, resources: { limits: { cpus: '0.5' } } });
    // The base file alone is unchanged by the override.
    expect(load().services.postgres!.ports).toEqual(['127.0.0.1:5432:5432']);
  });

  it('fails when an override leaves a port, a secret or a single replica behind', () => {
    const cases: [string, (c: ComposeFile) => void, string][] = [
      ['a published database', (c) => (service(c, 'postgres').ports = ['5432:5432']), 'postgres: publishes 5432:5432'],
      ['a key in the environment', (c) => (service(c, 'worker-generation').environment!.OPENROUTER_API_KEY = '${OPENROUTER_API_KEY}'), 'read it from a file'],
      [
        'an X token in the environment',
        (c) => (service(c, 'worker-publishing').environment!.X_TOKEN_MAIN = '${X_TOKEN_MAIN:-}'),
        'worker-publishing: X_TOKEN_MAIN is set in the environment; read it from a file (X_TOKEN_MAIN_FILE)',
      ],
      [
        "the simulator's token left in",
        (c) => (service(c, 'worker-publishing').environment!.X_TOKEN_DEV = '${X_TOKEN_DEV:-}'),
        'worker-publishing: X_TOKEN_DEV is set in the environment',
      ],
      [
        'an X token file not mounted',
        (c) => (service(c, 'worker-publishing').secrets = ['database_url']),
        'worker-publishing: X_TOKEN_MAIN_FILE=/run/secrets/x_token_main is not a secret this service mounts',
      ],
      [
        "a source's key in the environment",
        (c) => (service(c, 'worker-scraping').environment!.COMTRADE_SUBSCRIPTION_KEY = '${COMTRADE_SUBSCRIPTION_KEY:-}'),
        'worker-scraping: COMTRADE_SUBSCRIPTION_KEY is set in the environment; read it from a file (comtrade_subscription_key in SECRETS_DIR)',
      ],
      [
        "a source's key mounted in another app",
        (c) => service(c, 'worker-analysis').secrets!.push('fred_api_key'),
        'worker-analysis: is given fred_api_key, which only worker-scraping reads',
      ],
      [
        "a source's key mounted in another app under another name",
        (c) => service(c, 'api').secrets!.push({ source: 'comtrade_subscription_key', target: 'key' }),
        'api: is given comtrade_subscription_key, which only worker-scraping reads',
      ],
      [
        "a source's key mounted under another name",
        (c) => (service(c, 'worker-scraping').secrets![1] = { source: 'fred_api_key', target: 'FRED_API_KEY' }),
        'worker-scraping: fred_api_key is neither in its environment (FRED_API_KEY) nor a file of its SECRETS_DIR',
      ],
      [
        'the secrets directory left out',
        (c) => delete service(c, 'worker-scraping').environment!.SECRETS_DIR,
        'worker-scraping: comtrade_subscription_key is neither in its environment (COMTRADE_SUBSCRIPTION_KEY) nor a file of its SECRETS_DIR',
      ],
      [
        "a source's key with no file",
        (c) => delete c.secrets!.comtrade_subscription_key,
        'worker-scraping: comtrade_subscription_key is neither in its environment (COMTRADE_SUBSCRIPTION_KEY) nor a file of its SECRETS_DIR',
      ],
      ['a password in a URL', (c) => (service(c, 'api').environment!.REDIS_URL = 'redis://default:hunter2@redis:6379'), 'a URL with a password'],
      ['a secret not mounted', (c) => (service(c, 'scheduler').secrets = []), 'scheduler: DATABASE_URL_FILE=/run/secrets/database_url is not a secret'],
      ['a secret with no file', (c) => delete c.secrets!.database_url, 'secret database_url has no file'],
      ['a secret file in git', (c) => (c.secrets!.database_url = { file: './database_url' }), 'secret database_url'],
      ['a file variable dropped', (c) => delete service(c, 'api').environment!.DATABASE_URL_FILE, 'api: Invalid configuration:\n  DATABASE_URL'],
      ['one replica', (c) => (service(c, 'worker-publishing').deploy = {}), 'worker-publishing: 1 replica'],
      ['replicas without ports', (c) => (service(c, 'api').ports = ['3000:3000']), 'api: 2 replicas share 1 published port'],
    ];
    for (const [what, change, expected] of cases) {
      const compose = loadProduction();
      change(compose);
      const problems = [...composeProblems(compose, settings, root), ...productionProblems(compose, root)];
      expect({ what, found: problems.some((p) => p.includes(expected)) }).toEqual({ what, found: true });
    }
  });
});

it('fails when the file and the registry disagree, or a secret is written in', () => {
  const cases: [string, (c: ComposeFile) => void, string][] = [
    ['a wrong port', (c) => (service(c, 'worker-publishing').environment!.WORKER_PORT = 9499), 'WORKER_PORT=9499'],
    ['an app left out', (c) => delete c.services['worker-scraping'], 'worker-scraping: no service'],
    ['a missing variable', (c) => delete service(c, 'api').environment!.REDIS_URL, 'REDIS_URL'],
    ['a health check on another port', (c) => (service(c, 'scheduler').healthcheck!.test = ['CMD', 'true']), 'health check'],
    ['a written password', (c) => (service(c, 'api').environment!.DATABASE_URL = 'postgres://conveyor:hunter2@postgres:5432/conveyor'), 'holds a password'],
    ['a written key', (c) => (service(c, 'worker-analysis').environment!.OPENROUTER_API_KEY = 'sk-live-123'), 'OPENROUTER_API_KEY must come from .env'],
    ['a short drain window', (c) => (service(c, 'worker-monitoring').stop_grace_period = '10s'), 'stop_grace_period'],
    ['Redis that evicts', (c) => (service(c, 'redis').command = ['redis-server']), 'noeviction'],
    ['a service of no app', (c) => (c.services['worker-mystery'] = {}), 'worker-mystery: not an app'],
    [
      'an X setting the publishing worker refuses',
      (c) => (service(c, 'worker-publishing').environment!.X_DRY_RUN = 'yes'),
      'worker-publishing: Invalid configuration:\n  X_DRY_RUN: must be true or false',
    ],
    [
      'metrics stages it cannot read',
      (c) => (service(c, 'worker-publishing').environment!.X_METRICS_STAGES = '15 minutes'),
      'worker-publishing: Invalid configuration:\n  X_METRICS_STAGES',
    ],
    [
      'an unknown X tier',
      (c) => (service(c, 'worker-publishing').environment!.X_API_TIER = 'premium'),
      'worker-publishing: Invalid configuration:\n  X_API_TIER',
    ],
    ['a written X token', (c) => (service(c, 'worker-publishing').environment!.X_TOKEN_MAIN = 'oauth-token'), 'X_TOKEN_MAIN must come from .env'],
    [
      'the X simulator on another port than the worker asks',
      (c) => (service(c, 'worker-publishing').environment!.X_API_BASE_URL = 'http://x-sim:4021'),
      'worker-publishing: X_API_BASE_URL=http://x-sim:4021 asks port 4021; x-sim listens on 4020',
    ],
    ['the X simulator outside the dev profile', (c) => delete service(c, 'x-sim').profiles, 'x-sim: only in the dev profile'],
    [
      'dry run left to NODE_ENV',
      (c) => delete service(c, 'worker-publishing').environment!.X_DRY_RUN,
      'worker-publishing: X_DRY_RUN is not set; say true (nothing is sent to X) or false (posts go out)',
    ],
    ['the X simulator running the LLM one', (c) => delete service(c, 'x-sim').environment!.SIMULATOR, 'x-sim: runs SIMULATOR=llm, not x'],
    ['the data simulator running the X one', (c) => (service(c, 'data-sim').environment!.SIMULATOR = 'x'), 'data-sim: runs SIMULATOR=x, not data'],
    ['the data simulator outside the dev profile', (c) => delete service(c, 'data-sim').profiles, 'data-sim: only in the dev profile'],
    [
      "a source's key given to another app",
      (c) => (service(c, 'api').environment!.FRED_API_KEY = '${FRED_API_KEY:-}'),
      'api: is given FRED_API_KEY, which only worker-scraping reads',
    ],
    [
      "the scraping worker without a source's key",
      (c) => delete service(c, 'worker-scraping').environment!.COMTRADE_SUBSCRIPTION_KEY,
      'worker-scraping: comtrade_subscription_key is neither in its environment (COMTRADE_SUBSCRIPTION_KEY) nor a file of its SECRETS_DIR',
    ],
    [
      "a written source's key",
      (c) => (service(c, 'worker-scraping').environment!.COMTRADE_SUBSCRIPTION_KEY = 'abc123'),
      'COMTRADE_SUBSCRIPTION_KEY must come from .env',
    ],
    [
      'an ingestion setting the scraping worker refuses',
      (c) => (service(c, 'worker-scraping').environment!.INGESTION_RATE_LIMITS = '{"fred":{"capacity":0}}'),
      'worker-scraping: Invalid configuration:\n  INGESTION_RATE_LIMITS',
    ],
  ];
  for (const [what, change, expected] of cases) {
    const compose = load();
    change(compose);
    const problems = composeProblems(compose, vars, root);
    expect({ what, found: problems.some((p) => p.includes(expected)) }).toEqual({ what, found: true });
  }
});
