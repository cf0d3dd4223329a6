import fs from 'node:fs';
import path from 'node:path';

// The built client runs in browsers and in Node.js alike and stands alone: nothing it loads
// may be a Node.js built-in or another @conveyor package (types from @conveyor/contracts are
// `import type`, gone once compiled). The React entry may load react, and only react.

const DIST = path.join(__dirname, '../dist');

function requires(file: string): string[] {
  const code = fs.readFileSync(path.join(DIST, file), 'utf8');
  return [...code.matchAll(/require\(\s*["'`]([^"'`]+)["'`]\s*\)|import\(\s*["'`]([^"'`]+)["'`]\s*\)/g)].map((m) => m[1] ?? m[2]!);
}

const files = fs.readdirSync(DIST).filter((f) => f.endsWith('.js'));

it('has been built (run the build first)', () => {
  expect(files).toEqual(expect.arrayContaining(['index.js', 'react.js']));
});

it.each(files)('%s requires only its own files (and react, for the hook)', (file) => {
  const outside = requires(file).filter((name) => !name.startsWith('./'));
  expect(outside).toEqual(file === 'react.js' ? ['react'] : []);
});

it('the package exports "." and "./react" from dist, with their types', () => {
  const manifest = JSON.parse(fs.readFileSync(path.join(__dirname, '../package.json'), 'utf8'));
  expect(manifest.private).toBeUndefined();
  expect(manifest.sideEffects).toBe(false);
  expect(manifest.exports['.']).toEqual({ types: './dist/index.d.ts', default: './dist/index.js' });
  expect(manifest.exports['./react']).toEqual({ types: './dist/react.d.ts', default: './dist/react.js' });
  expect(Object.keys(manifest.dependencies ?? {})).toEqual(['@conveyor/contracts']);
  expect(manifest.peerDependenciesMeta.react.optional).toBe(true);
});
