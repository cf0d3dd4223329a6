// The cluster run: the existing end-to-end flow and kill -9 fault test, unchanged, plus this
// package's own tests, against a private three-master Redis Cluster that globalSetup starts
// (and announces through TEST_REDIS_CLUSTER_NODES) and globalTeardown stops.
const preset = require('../../jest.preset.js');

/** @type {import('jest').Config} */
module.exports = {
  ...preset,
  roots: ['<rootDir>/test', '<rootDir>/../e2e/test', '<rootDir>/../fault/test'],
  testMatch: ['**/redis-cluster/test/**/*.test.ts', '**/e2e/test/task-end-to-end.test.ts', '**/fault/test/01-kill-worker.test.ts'],
  globalSetup: '<rootDir>/test/cluster-setup.ts',
  globalTeardown: '<rootDir>/test/cluster-teardown.ts',
  testTimeout: 60000,
};
