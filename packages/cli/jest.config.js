// One API and monitoring worker for every test file (test/support/stack-setup.ts); most
// command lines run through the CLI's entry in the test's process, a few as the built binary.
// The bound is for a hang, not a speed.
module.exports = {
  ...require('../../jest.preset.js'),
  globalSetup: '<rootDir>/test/support/stack-setup.ts',
  globalTeardown: '<rootDir>/test/support/stack-teardown.ts',
  testTimeout: 180_000,
};
