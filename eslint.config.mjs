// One lint configuration for every package; each package runs `eslint src test`.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import { importBoundaries } from './eslint.boundaries.mjs';

export default tseslint.config(
  { ignores: ['**/dist/**', '**/node_modules/**', '**/.turbo/**', '.local/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-console': 'off',
    },
  },
  ...importBoundaries,
  {
    // Black-box tests read untyped JSON from real processes (and the simulators' tests from their
    // HTTP answers); typing every response adds nothing.
    files: ['tests/**/test/**', 'packages/sim/test/**'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
  {
    // Migrations are written against Kysely<any> on purpose: they must not depend on today's types.
    files: ['**/migrations/**', '**/migrate.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
);
