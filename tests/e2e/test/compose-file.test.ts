import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { type ComposeFile, composeProblems, readEnvFile } from './compose-check';

// docker-compose.yml against the app registry, read as compose reads it (merge keys, .env
// interpolation), with .env.example as the .env plus the two secrets a user must add.
const root = path.resolve(__dirname, '../../..');
const load = (): ComposeFile => parse(readFileSync(path.join(root, 'docker-compose.yml'), 'utf8'), { merge: true }) as ComposeFile;
/** A service of the file, which the cases below change. */
const service = (c: ComposeFile, name: string) => c.services[name]!;
const vars = { ...readEnvFile(readFileSync(path.join(root, '.env.example'), 'utf8')), POSTGRES_PASSWORD: 'from-dotenv', OPENROUTER_API_KEY: 'from-dotenv' };

it('runs every app of the registry with its variables, port and health check, and holds no secret', () => {
  expect(composeProblems(load(), vars, root)).toEqual([]);
});

it('refuses to start without the secrets it takes from .env', () => {
  const problems = composeProblems(load(), { ...vars, POSTGRES_PASSWORD: '', OPENROUTER_API_KEY: '' }, root);
  expect(problems.some((p) => p.includes('POSTGRES_PASSWORD is required'))).toBe(true);
  expect(problems.some((p) => p.includes('OPENROUTER_API_KEY is required'))).toBe(true);
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
  ];
  for (const [what, change, expected] of cases) {
    const compose = load();
    change(compose);
    const problems = composeProblems(compose, vars, root);
    expect({ what, found: problems.some((p) => p.includes(expected)) }).toEqual({ what, found: true });
  }
});
