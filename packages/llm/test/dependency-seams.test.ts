import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { REPO_ROOT } from '@conveyor/testkit';

// The cuts this package exists for, kept cut: the API and the scheduler never install the LLM
// SDK (only the LLM workers reach it, through @conveyor/llm), and the inference router and the
// budget ledger never depend on the queue (and so on BullMQ) for the errors they throw.

type Manifest = { name: string; dependencies?: Record<string, string>; devDependencies?: Record<string, string> };

function workspaceManifests(): Map<string, Manifest> {
  const manifests = new Map<string, Manifest>();
  for (const group of ['apps', 'packages', 'tests']) {
    for (const dir of readdirSync(path.join(REPO_ROOT, group), { withFileTypes: true })) {
      if (!dir.isDirectory()) continue;
      try {
        const manifest = JSON.parse(readFileSync(path.join(REPO_ROOT, group, dir.name, 'package.json'), 'utf8')) as Manifest;
        manifests.set(manifest.name, manifest);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      }
    }
  }
  return manifests;
}

/**
 * A chain of packages from `from` to `target`, as `pnpm why` would find it: the package's own
 * dependencies and devDependencies, then only the dependencies of the workspace packages it
 * reaches (their devDependencies are not installed for it). undefined when there is none.
 */
function pathTo(graph: Map<string, Manifest>, from: string, target: string): string[] | undefined {
  const start = graph.get(from);
  if (!start) throw new Error(`no workspace package ${from}`);
  const seen = new Set<string>([from]);
  const queue: string[][] = Object.keys({ ...start.dependencies, ...start.devDependencies }).map((dep) => [from, dep]);
  while (queue.length) {
    const chain = queue.shift()!;
    const name = chain[chain.length - 1]!;
    if (name === target) return chain;
    if (seen.has(name)) continue;
    seen.add(name);
    for (const dep of Object.keys(graph.get(name)?.dependencies ?? {})) queue.push([...chain, dep]);
  }
  return undefined;
}

describe('the workspace dependency graph', () => {
  const graph = workspaceManifests();

  it.each([
    ['@conveyor/api', 'openai'],
    ['@conveyor/scheduler', 'openai'],
    ['@conveyor/inference', '@conveyor/queue'],
    ['@conveyor/cost-tracker', '@conveyor/queue'],
    ['@conveyor/cost-tracker', 'openai'],
    ['@conveyor/contracts', '@conveyor/queue'],
  ])('gives %s no path to %s', (from, target) => {
    expect(pathTo(graph, from, target)).toBeUndefined();
  });

  it('finds the paths that do exist, so the checks above look at the real graph', () => {
    for (const worker of ['@conveyor/worker-analysis', '@conveyor/worker-generation']) {
      expect(pathTo(graph, worker, 'openai')?.at(-1)).toBe('openai');
      expect(pathTo(graph, worker, '@conveyor/llm')).toEqual([worker, '@conveyor/llm']);
    }
  });

  it('follows a dependency through several workspace packages but not through their devDependencies', () => {
    const synthetic = new Map<string, Manifest>([
      ['a', { name: 'a', dependencies: { b: '*' } }],
      ['b', { name: 'b', dependencies: { c: '*' }, devDependencies: { sdk: '*' } }],
      ['c', { name: 'c', dependencies: { sdk: '*' } }],
      ['d', { name: 'd', dependencies: { b: '*' } }],
    ]);
    expect(pathTo(synthetic, 'a', 'sdk')).toEqual(['a', 'b', 'c', 'sdk']);
    synthetic.set('c', { name: 'c' });
    expect(pathTo(synthetic, 'd', 'sdk')).toBeUndefined();
  });
});
