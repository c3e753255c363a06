// ESLint flat config: typescript-eslint's recommended rules, Prettier owning the layout
// (eslint-config-prettier turns off every rule that would fight it), and the data-layer
// boundary: nothing outside src/data reaches the executor or builds SQL.
import js from '@eslint/js';
import { defineConfig } from 'eslint/config';
import prettier from 'eslint-config-prettier';
import tseslint from 'typescript-eslint';

/**
 * The data layer's internals: the executor, the SQL builders, the unscoped reads and the issuing
 * of request scopes. Outside src/data, code goes through data/store (Store, Session) instead.
 */
const DATA_INTERNALS = [
  '**/data/database',
  '**/data/driver',
  '**/data/graph.sql',
  '**/data/sql',
  '**/data/query-composer',
  '**/data/writer',
  '**/data/scope.sql',
  '**/data/unscoped',
  '**/data/callers',
  '**/data/tenancy',
  '**/data/token-store',
  '**/data/bulk-loader',
];
const BOUNDARY = 'Only src/data reaches the database executor or builds SQL: open a Store and go through its sessions (src/data/store.ts).';

export default defineConfig(
  { ignores: ['dist/**', 'data/**', 'coverage/**', 'tests/.tmp/**', 'tests/.artifacts/**', 'bench/results/**'] },
  js.configs.recommended,
  // The rules that need no type information: the type-checked set took 2.3 times as long on
  // this tree (29 s against 12.5 s on 2 cores) and its extra findings are almost all
  // no-unsafe-* on the untyped response bodies the tests read.
  tseslint.configs.recommended,
  {
    rules: {
      // A leading underscore marks a binding that is unused on purpose (`for (const _step of …)`).
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrorsIgnorePattern: '^_' }],
    },
  },
  {
    // Tests read JSON documents of any shape (supertest's `body` is `any` to begin with) and
    // describe untyped libraries (tests/interop/*.d.ts): `any` there is the honest type, and
    // the assertions check the shape. The service's own code stays free of it.
    files: ['tests/**/*.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },

  // The boundary. Tests and the bench may import anything; the code of the service may not.
  {
    files: ['src/**/*.ts', 'entities/**/*.ts', 'ormconfig.ts'],
    ignores: ['src/data/**'],
    rules: { 'no-restricted-imports': ['error', { patterns: [{ group: DATA_INTERNALS, message: BOUNDARY }] }] },
  },

  prettier,
);
