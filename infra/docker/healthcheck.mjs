// The image's HEALTHCHECK: GET the app's health path on its port, read from the same registry
// the app reads its default port from (packages/config/src/apps.json), or from the port
// variable when it is set; in the `sim` image, those of the simulator SIMULATOR runs
// (simulators.json, as sim-main.cjs picks it). Exits 0 when healthy, 1 otherwise (Docker's convention).
import { readFileSync } from 'node:fs';

const app = process.env.APP;
const read = (file) => JSON.parse(readFileSync(new URL(file, import.meta.url), 'utf8'));
const entry =
  app === 'sim' ? read('./simulators.json')[process.env.SIMULATOR || 'llm'] : read('../../packages/config/src/apps.json').apps.find((a) => a.name === app);
if (!entry) {
  console.error(
    app === 'sim' ? `healthcheck: SIMULATOR=${process.env.SIMULATOR} is not in simulators.json` : `healthcheck: APP=${app} is not in the app registry`,
  );
  process.exit(1);
}
const port = process.env[entry.portVariable] || entry.defaultPort;
fetch(`http://127.0.0.1:${port}${entry.healthPath}`, { signal: AbortSignal.timeout(4000) }).then(
  (res) => process.exit(res.ok ? 0 : 1),
  () => process.exit(1),
);
