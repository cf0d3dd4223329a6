import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { REPO_ROOT } from '@conveyor/testkit';

// The repository explains itself: no tracked file points at a document or a path outside it
// (a design note kept elsewhere, a sibling checkout, one machine's absolute paths), and
// every package says in a README of its own what it owns and what it must not import.
// docs/architecture.md is the map those references point to instead.

/** Every tracked text file: path relative to the repository and its text. */
function trackedTextFiles(): { file: string; text: string }[] {
  const files = execFileSync('git', ['ls-files', '-z'], { cwd: REPO_ROOT, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 })
    .split('\0')
    .filter(Boolean);
  return files.flatMap((file) => {
    const full = path.join(REPO_ROOT, file);
    if (!fs.existsSync(full) || !fs.statSync(full).isFile()) return [];
    const bytes = fs.readFileSync(full);
    return bytes.includes(0) ? [] : [{ file, text: bytes.toString('utf8') }];
  });
}

/** Every line of the files that matches `pattern`, as "file:line: text". */
function linesMatching(files: { file: string; text: string }[], pattern: RegExp): string[] {
  return files.flatMap(({ file, text }) =>
    text.split('\n').flatMap((line, i) => (pattern.test(line) ? [`${file}:${i + 1}: ${line.trim().slice(0, 160)}`] : [])),
  );
}

/** Files whose relative paths start from each workspace package (apps/x, packages/x, tests/x), not from their own folder. */
const RELATIVE_TO_EACH_PACKAGE = new Set(['pnpm-lock.yaml', 'turbo.json']);

/**
 * Relative paths in `text` (an import, a link, a path.join argument) that climb out of the
 * repository from the folder they are relative to.
 */
function pathsLeavingRepo(file: string, text: string): string[] {
  const from = RELATIVE_TO_EACH_PACKAGE.has(file) ? path.join('packages', 'any') : path.dirname(file);
  const out: string[] = [];
  for (const match of text.matchAll(/(?<![\w./-])((?:\.\.\/)+(?:\.\.(?![\w.])|[\w@.-]+)?)/g)) {
    const target = path.resolve(REPO_ROOT, from, match[1]!);
    if (path.relative(REPO_ROOT, target).startsWith('..')) out.push(`${file}: ${match[1]}`);
  }
  return out;
}

// The patterns are assembled from pieces so that this file does not match them itself.
const OUTSIDE_DOCUMENT = new RegExp(['\\bDESIGN', '(\\.md\\b|\\s*§|\\s+invariant)'].join(''));
const MACHINE_PATH = new RegExp(['(^|[^\\w.~-])', '/(work|home|Users|root)/', '[\\w.-]'].join(''));

describe('the repository refers to nothing outside it', () => {
  const files = trackedTextFiles();

  it('reads the tracked files (the check below is not vacuous)', () => {
    expect(files.map((f) => f.file)).toEqual(expect.arrayContaining(['README.md', 'docs/architecture.md', 'docs/decisions.md']));
  });

  it('has no reference to a design document kept elsewhere', () => {
    expect(linesMatching(files, OUTSIDE_DOCUMENT)).toEqual([]);
  });

  it("names no machine's absolute paths", () => {
    expect(linesMatching(files, MACHINE_PATH)).toEqual([]);
    expect(linesMatching(files, new RegExp(REPO_ROOT.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')))).toEqual([]);
  });

  it('has no relative path that climbs out of the repository', () => {
    expect(files.flatMap(({ file, text }) => pathsLeavingRepo(file, text))).toEqual([]);
  });

  it('the checks catch what they are for', () => {
    expect(OUTSIDE_DOCUMENT.test(['see DESIGN', '.md §3'].join(''))).toBe(true);
    expect(OUTSIDE_DOCUMENT.test(['(DESIGN', ' invariant 6)'].join(''))).toBe(true);
    // The samples are assembled too, so that this file, tracked like any other, passes.
    expect(MACHINE_PATH.test(['"file": "/wo', 'rk/main/bench/x.json"'].join(''))).toBe(true);
    expect(MACHINE_PATH.test('bench/results/x.json')).toBe(false);
    expect(pathsLeavingRepo('packages/db/src/index.ts', ["import { x } from '../../../", "../elsewhere/x';"].join(''))).toHaveLength(1);
    expect(pathsLeavingRepo('packages/db/src/index.ts', "import { x } from '../../config/src';")).toEqual([]);
    expect(pathsLeavingRepo('turbo.json', '"inputs": ["../../eslint.config.mjs"]')).toEqual([]);
    expect(pathsLeavingRepo('turbo.json', '"inputs": ["../../../elsewhere/eslint.config.mjs"]')).toHaveLength(1);
  });
});

describe('every package has a README', () => {
  const packages = fs
    .readdirSync(path.join(REPO_ROOT, 'packages'))
    .filter((name) => fs.existsSync(path.join(REPO_ROOT, 'packages', name, 'package.json')))
    .sort();

  it('finds the packages', () => {
    expect(packages).toEqual(expect.arrayContaining(['contracts', 'db', 'queue']));
  });

  it.each(packages)('packages/%s/README.md says what the package owns and must not import', (name) => {
    const readme = path.join(REPO_ROOT, 'packages', name, 'README.md');
    expect(fs.existsSync(readme)).toBe(true);
    const text = fs.readFileSync(readme, 'utf8');
    expect(text).toMatch(/^# @conveyor\//m);
    expect(text).toMatch(/must not import/i);
  });
});
