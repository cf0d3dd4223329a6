// The image's HEALTHCHECK: GET the app's health path on its port, read from the same registry
// the app reads its default port from (packages/config/src/apps.json), or from the port
// variable when it is set. Exits 0 when healthy, 1 otherwise (Docker's convention).
import { readFileSync } from 'node:fs';

const app = process.env.APP;
const { apps } = JSON.parse(readFileSync(new URL('../../packages/config/src/apps.json', import.meta.url), 'utf8'));
const entry = app === 'sim' ? { portVariable: 'SIM_PORT', defaultPort: 4010, healthPath: '/v1/models' } : apps.find((a) => a.name === app);
if (!entry) {
  console.error(`healthcheck: APP=${app} is not in the app registry`);
  process.exit(1);
}
const port = process.env[entry.portVariable] || entry.defaultPort;
fetch(`http://127.0.0.1:${port}${entry.healthPath}`, { signal: AbortSignal.timeout(4000) }).then(
  (res) => process.exit(res.ok ? 0 : 1),
  () => process.exit(1),
);
