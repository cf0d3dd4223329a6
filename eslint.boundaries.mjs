// Which code may import which: the layers of the monorepo, enforced by lint.
// packages/contracts/test/import-boundaries.test.ts proves that each rule reports what it should.

/** An app is a process, never a library: no package may import one, by name or by path. */
const NO_APPS = {
  regex: '^(@conveyor/(api|scheduler|worker-[a-z-]+)|(\\./)?(\\.\\./)+apps)(/|$)',
  message: 'packages/* may not import an app (apps/*, @conveyor/api, @conveyor/scheduler, @conveyor/worker-*): move what both need into a package.',
};

/** contracts is the shared vocabulary of every process: types and schemas, no I/O, no other package. */
const ONLY_ZOD = {
  regex: '^(?!zod$|\\.{1,2}/)',
  message: 'packages/contracts may import only zod and its own files: no Node.js built-ins, no I/O client, no other @conveyor package.',
};

// In a flat config the last matching object sets a rule, so contracts' rule repeats NO_APPS.
export const importBoundaries = [
  { files: ['packages/**/*.{ts,mts,js,mjs}'], rules: { 'no-restricted-imports': ['error', { patterns: [NO_APPS] }] } },
  { files: ['packages/contracts/src/**/*.ts'], rules: { 'no-restricted-imports': ['error', { patterns: [NO_APPS, ONLY_ZOD] }] } },
];
