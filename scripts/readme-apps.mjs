#!/usr/bin/env node
// Writes the README's apps table from the app registry (packages/config/src/apps.json).
//   node scripts/readme-apps.mjs                  rewrite the table in README.md
//   node scripts/readme-apps.mjs --check [file]   exit 1 when the table of README.md (or file) is not up to date
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { REGISTRY_FILE } from './lib/apps.mjs';
import { withAppsTable } from './lib/readme-apps.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const check = process.argv[2] === '--check';
const file = path.resolve(root, (check ? process.argv[3] : process.argv[2]) ?? 'README.md');
const { apps } = JSON.parse(fs.readFileSync(path.join(root, REGISTRY_FILE), 'utf8'));
const readme = fs.readFileSync(file, 'utf8');
const wanted = withAppsTable(readme, apps);
if (!check) {
  fs.writeFileSync(file, wanted);
} else if (wanted !== readme) {
  console.error(`${path.relative(root, file)}: the apps table differs from ${REGISTRY_FILE}; run node scripts/readme-apps.mjs`);
  process.exit(1);
}
