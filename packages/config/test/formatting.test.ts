import { spawnSync } from 'node:child_process';
import path from 'node:path';

// `npm test` runs `prettier --check .` (format:check); these pin down what it looks at.
const ROOT = path.resolve(__dirname, '../../..');
const prettier = (args: string[], input?: string) =>
  spawnSync(process.execPath, [path.join(ROOT, 'node_modules/prettier/bin/prettier.cjs'), ...args], { cwd: ROOT, input, encoding: 'utf8' });
/** Which of these files Prettier's configuration skips, asked in one process. */
function ignoredOf(files: string[]): string[] {
  const script = `import { getFileInfo } from 'prettier';
    const files = ${JSON.stringify(files)};
    const infos = await Promise.all(files.map((file) => getFileInfo(file, { ignorePath: '.prettierignore' })));
    console.log(JSON.stringify(files.filter((_, i) => infos[i].ignored)));`;
  const result = spawnSync(process.execPath, ['--input-type=module', '-e', script], { cwd: ROOT, encoding: 'utf8' });
  if (result.status !== 0) throw new Error(result.stderr);
  return JSON.parse(result.stdout) as string[];
}

describe('the format check', () => {
  it('skips built, installed, local, generated and hand-written prose files', () => {
    const skipped = ['packages/config/dist/index.js', 'node_modules/x/index.js', 'apps/api/node_modules/x/index.js', '.local/dev-tenant.json'];
    skipped.push('bench/results/latest.json', 'pnpm-lock.yaml', 'apps/api/.turbo/turbo-build.log', 'README.md', 'docs/benchmarks.md');
    expect(ignoredOf(skipped)).toEqual(skipped);
  });

  it('checks the sources, scripts and configuration', () => {
    const checked = ['packages/config/src/index.ts', 'scripts/stack.mjs', 'packages/config/src/apps.json', 'turbo.json', 'pnpm-workspace.yaml'];
    expect(ignoredOf(checked)).toEqual([]);
  });

  it('refuses code not in the configured style (double quotes, no semicolons)', () => {
    const file = 'packages/config/src/probe.ts';
    expect(prettier(['--check', '--stdin-filepath', file], "export const a = 'x';\n").status).toBe(0);
    expect(prettier(['--check', '--stdin-filepath', file], 'export const a = "x"\n').status).not.toBe(0);
  });
});
