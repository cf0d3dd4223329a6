// The entry point of the `sim` image: one image for every simulator of packages/sim, the one
// SIMULATOR names (simulators.json: llm, the default, x or data) runs. healthcheck.mjs asks the
// same one's health path. An unknown name exits 78 (EX_CONFIG, as the apps' configuration errors).
const simulators = require('./simulators.json');

const name = process.env.SIMULATOR || 'llm';
const simulator = simulators[name];
if (!simulator) {
  process.stderr.write(`sim: SIMULATOR=${name} is not a simulator of this image; use one of ${Object.keys(simulators).join(', ')}\n`);
  process.exit(78);
}
require(`../../${simulator.entry}`);
