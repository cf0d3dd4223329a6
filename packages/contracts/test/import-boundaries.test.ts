import { spawnSync } from 'node:child_process';
import path from 'node:path';

// The import boundaries of eslint.boundaries.mjs, through the repository's real lint
// configuration: each probe is linted as if it were a file at that path (it is never written).
const ROOT = path.resolve(__dirname, '../../..');

/** The imports ESLint refuses in `source` placed at `file`: one line number per refused import. */
function refusedLines(file: string, source: string): number[] {
  const result = spawnSync(process.execPath, [path.join(ROOT, 'node_modules/eslint/bin/eslint.js'), '--stdin', '--stdin-filename', file, '--format', 'json'], {
    cwd: ROOT,
    input: source,
    encoding: 'utf8',
  });
  const [report] = JSON.parse(result.stdout) as { messages: { ruleId: string | null; line: number; message: string }[] }[];
  const other = report!.messages.filter((m) => m.ruleId !== 'no-restricted-imports' && m.ruleId !== '@typescript-eslint/no-unused-vars');
  expect(other).toEqual([]);
  return report!.messages.filter((m) => m.ruleId === 'no-restricted-imports').map((m) => m.line);
}

const probe = (imports: string[]) => imports.map((from, i) => `import * as m${i} from '${from}';\nexport { m${i} };`).join('\n');
const lineOf = (i: number) => 2 * i + 1;

describe('import boundaries', () => {
  it('packages/contracts imports only zod and its own files', () => {
    const refused = [
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
    const allowed = ['zod', './queues', '../define-task'];
    expect(refusedLines('packages/contracts/src/probe.ts', probe([...refused, ...allowed]))).toEqual(refused.map((_, i) => lineOf(i)));
  });

  it('no package imports an app, by name or by path', () => {
    const refused = [
      '@conveyor/api',
      '@conveyor/scheduler',
      '@conveyor/worker-monitoring',
      '@conveyor/worker-analysis/src/handlers',
      '../../../apps/api/src/app',
      '../../apps/scheduler',
    ];
    const allowed = ['@conveyor/db', '@conveyor/contracts', 'pg', 'node:fs', './apps', '../app-stack'];
    expect(refusedLines('packages/queue/src/probe.ts', probe([...refused, ...allowed]))).toEqual(refused.map((_, i) => lineOf(i)));
  });

  it('leaves the apps free to import packages and I/O clients', () => {
    expect(refusedLines('apps/api/src/probe.ts', probe(['@conveyor/queue', 'pg', 'node:fs', 'express']))).toEqual([]);
  });
});
