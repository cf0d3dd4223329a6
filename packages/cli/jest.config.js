// Every test runs the built CLI as child processes, several per test, each a Node.js start
// (seconds apiece on a busy two-core machine). The bound is for a hang, not a speed.
module.exports = { ...require('../../jest.preset.js'), testTimeout: 180_000 };
