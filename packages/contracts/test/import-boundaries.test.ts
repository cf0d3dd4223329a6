import { spawnSync } from 'node:child_process';
import path from 'node:path';

// The import boundaries of eslint.boundaries.mjs, through the repository's real lint
// configuration: each probe is linted as if it were a file at that path (it is never written).
const ROOT = path.resolve(__dirname, '../../..');

type Message = { ruleId: string | null; line: number; message: string };

/**
 * ESLint's messages for each probe, `source` placed at `file`: one ESLint process lints them
 * all (through its API, which loads the configuration and its plugins once: a process per
 * probe cost seconds apiece on a busy machine). ESLint runs outside Jest, whose VM cannot load
 * the ES module configuration.
 */
function lintProbes(probes: { file: string; source: string }[]): Message[][] {
  const lint = `
    const { ESLint } = require('eslint');
    const probes = JSON.parse(require('node:fs').readFileSync(0, 'utf8'));
    (async () => {
      const eslint = new ESLint({ cwd: process.cwd() });
      const out = [];
      for (const { file, source } of probes) out.push((await eslint.lintText(source, { filePath: require('node:path').resolve(file) }))[0].messages);
      process.stdout.write(JSON.stringify(out));
    })();`;
  const result = spawnSync(process.execPath, ['-e', lint], { cwd: ROOT, input: JSON.stringify(probes), encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`ESLint failed: ${result.stderr}`);
  return JSON.parse(result.stdout) as Message[][];
}

/** The imports ESLint refused: one line number per refused import (and no other message). */
function refusedLines(messages: Message[]): number[] {
  const other = messages.filter((m) => m.ruleId !== 'no-restricted-imports' && m.ruleId !== '@typescript-eslint/no-unused-vars');
  expect(other).toEqual([]);
  return messages.filter((m) => m.ruleId === 'no-restricted-imports').map((m) => m.line);
}

const probe = (imports: string[]) => imports.map((from, i) => `import * as m${i} from '${from}';\nexport { m${i} };`).join('\n');
const lineOf = (i: number) => 2 * i + 1;

const CONTRACTS_REFUSED = [
  'node:fs',
  'node:http',
  'pg',
  'kysely',
  'ioredis',
  'bullmq',
  'openai',
  'winston',
  'express',
  'prom-client',
  '@conveyor/db',
  '@conveyor/queue',
];
const CONTRACTS_ALLOWED = ['zod', './queues', '../define-task'];
const APPS_REFUSED = [
  '@conveyor/api',
  '@conveyor/scheduler',
  '@conveyor/worker-monitoring',
  '@conveyor/worker-analysis/src/handlers',
  '../../../apps/api/src/app',
  '../../apps/scheduler',
];
const APPS_ALLOWED = ['@conveyor/db', '@conveyor/contracts', 'pg', 'node:fs', './apps', '../app-stack'];

describe('import boundaries', () => {
  let contracts: Message[], aPackage: Message[], anApp: Message[];
  beforeAll(() => {
    [contracts, aPackage, anApp] = lintProbes([
      { file: 'packages/contracts/src/probe.ts', source: probe([...CONTRACTS_REFUSED, ...CONTRACTS_ALLOWED]) },
      { file: 'packages/queue/src/probe.ts', source: probe([...APPS_REFUSED, ...APPS_ALLOWED]) },
      { file: 'apps/api/src/probe.ts', source: probe(['@conveyor/queue', 'pg', 'node:fs', 'express']) },
    ]) as [Message[], Message[], Message[]];
  }, 120_000);

  it('packages/contracts imports only zod and its own files', () => {
    expect(refusedLines(contracts)).toEqual(CONTRACTS_REFUSED.map((_, i) => lineOf(i)));
  });

  it('no package imports an app, by name or by path', () => {
    expect(refusedLines(aPackage)).toEqual(APPS_REFUSED.map((_, i) => lineOf(i)));
  });

  it('leaves the apps free to import packages and I/O clients', () => {
    expect(refusedLines(anApp)).toEqual([]);
  });
});
