// The tests of the pooler itself (test/), and chosen end-to-end and fault tests, run from
// their own folders (not copied), with every AppStack's apps behind a private PgBouncer in
// transaction mode (TEST_PGBOUNCER=1: see packages/testkit's AppStack).
const path = require('node:path');

process.env.TEST_PGBOUNCER = '1';

// Each exercises Postgres through the apps (the README says why these and not the others):
// the task lifecycle's hot statements, the reconciler's and retention's advisory locks with two
// scheduler replicas, a worker killed mid-attempt, Postgres stopped behind the pooler, 500
// concurrent submissions with one key, a cancel, and the scheduler's tick paused mid-way.
const REUSED = [
  '../e2e/test/task-end-to-end.test.ts',
  '../e2e/test/housekeeping.test.ts',
  '../fault/test/01-kill-worker.test.ts',
  '../fault/test/05-postgres-down.test.ts',
  '../fault/test/08-idempotency.test.ts',
  '../fault/test/09-cancel.test.ts',
  '../fault/test/11-scheduler-pause.test.ts',
];

/** @type {import('jest').Config} */
module.exports = {
  ...require('../../jest.preset.js'),
  roots: ['<rootDir>/test', '<rootDir>/../e2e/test', '<rootDir>/../fault/test'],
  testMatch: ['<rootDir>/test/**/*.test.ts', ...REUSED.map((file) => path.resolve(__dirname, file))],
};
