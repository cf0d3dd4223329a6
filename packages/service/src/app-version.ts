import fs from 'node:fs';
import path from 'node:path';

/**
 * The running app's version: BUILD_ID when the deployment sets one, otherwise the version in
 * the package.json nearest above the app's entry script (apps/<app>/dist/main.js reads
 * apps/<app>/package.json), or "unknown".
 */
export function appVersion(buildId: string | undefined, entry = require.main?.filename): string {
  if (buildId) return buildId;
  for (let dir = entry ? path.dirname(entry) : undefined; dir && dir !== path.dirname(dir); dir = path.dirname(dir)) {
    try {
      const manifest = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')) as { version?: unknown };
      if (typeof manifest.version === 'string') return manifest.version;
    } catch {
      // No readable package.json here: look one folder up.
    }
  }
  return 'unknown';
}
