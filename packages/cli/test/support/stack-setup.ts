import { startCliStack } from './cli';

// Runs once before the package's test files: one API and monitoring worker for them all
// (each test has tenants and config files of its own, so the files do not meet), announced
// through CLI_TEST_BASE_URL and CLI_TEST_DATABASE_URL; stack-teardown.ts stops it.
export default async function setup(): Promise<void> {
  const shared = await startCliStack();
  (globalThis as { cliStack?: typeof shared }).cliStack = shared;
  process.env.CLI_TEST_BASE_URL = shared.baseUrl;
  process.env.CLI_TEST_DATABASE_URL = shared.stack.database.url;
}
