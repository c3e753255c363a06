// ESLint flat config: typescript-eslint's recommended rules, Prettier owning the layout
// (eslint-config-prettier turns off every rule that would fight it), and the data-layer
// boundary: nothing outside src/data reaches the executor or builds SQL.
import js from '@eslint/js';
import { defineConfig } from 'eslint/config';
import prettier from 'eslint-config-prettier';
import tseslint from 'typescript-eslint';

/** The data layer's internals: the executor and the SQL builders. */
const DATA_INTERNALS = ['**/data/database', '**/data/sql', '**/data/query-composer', '**/data/writer', '**/data/scope.sql'];
/** The same, less the database itself, which the entry points open (and close). */
const SQL_BUILDERS = DATA_INTERNALS.filter((p) => p !== '**/data/database');
const BOUNDARY = 'Only src/data reaches the database executor or builds SQL: go through the data layer’s own functions.';

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
    files: ['src/**/*.ts', 'entities/**/*.ts', 'serializers/**/*.ts', 'ormconfig.ts'],
    ignores: ['src/data/**'],
    rules: { 'no-restricted-imports': ['error', { patterns: [{ group: DATA_INTERNALS, message: BOUNDARY }] }] },
  },
  {
    // The entry points open and close the database, so they may import it; they build no SQL.
    files: ['src/server.ts', 'src/app.ts', 'src/bootstrap.ts', 'src/cli/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: [{ group: SQL_BUILDERS, message: BOUNDARY }] }] },
  },
  {
    // TEMPORARY: the files that cross the boundary today, while the data layer gets a facade
    // (src/data/store) for them to import instead. This list only shrinks: remove a file once it
    // no longer imports the internals, and delete this block when the list is empty. Do not add.
    files: [
      'src/errors/error.mapper.ts',
      'src/http/flat/router.ts',
      'src/http/jsonapi/atomic.ts',
      'src/http/jsonapi/router.ts',
      'src/http/middleware/auth.ts',
      'src/http/middleware/request-context.ts',
      'src/http/middleware/tenancy.ts',
      'src/operations/atomic.ts',
      'src/operations/context.ts',
      'src/operations/read.ts',
      'src/operations/write.ts',
    ],
    rules: { 'no-restricted-imports': 'off' },
  },

  prettier,
);
