// Lint rules for the whole monorepo (`npm run lint`, and `.ci/run` after the build).
// typescript-eslint's recommended set (syntactic: no type information, so it stays fast and
// needs no build), plus the two dependency rules of the architecture: packages are imported by
// name only, and no module imports its way back to itself.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import { importX } from 'eslint-plugin-import-x';
import { createTypeScriptImportResolver } from 'eslint-import-resolver-typescript';
import globals from 'globals';
import { fileURLToPath } from 'node:url';

export default tseslint.config(
  {
    ignores: ['**/dist/**', '**/node_modules/**'],
  },
  {
    files: ['*/src/**/*.ts', '*/test/**/*.ts', 'test/src/**/*.ts', 'scripts/**/*.mjs', 'eslint.config.mjs'],
    extends: [js.configs.recommended, ...tseslint.configs.recommended],
    plugins: { 'import-x': importX },
    languageOptions: {
      ecmaVersion: 2022,
      sourceType: 'module',
      globals: { ...globals.node },
    },
    settings: {
      // import-x only reads (and so only follows imports through) files of these extensions,
      // parsed with the TypeScript parser; the default is plain JavaScript only.
      'import-x/extensions': ['.ts', '.mts', '.js', '.mjs'],
      'import-x/parsers': { '@typescript-eslint/parser': ['.ts', '.mts'] },
      // Resolves NodeNext `./x.js` specifiers to their `./x.ts` sources, so no-cycle follows
      // the real module graph rather than stopping at files that only exist after the build.
      'import-x/resolver-next': [
        // The solution tsconfig, by its own path: eslint may be started from a package folder.
        createTypeScriptImportResolver({ project: fileURLToPath(new URL('./tsconfig.json', import.meta.url)) }),
      ],
    },
    rules: {
      // Dependencies point one way: a cycle means two modules are really one, or that a shared
      // declaration wants its own module. (import-x, like eslint-plugin-import, ignores
      // `import type` edges; scripts/check-import-cycles.mjs covers those.)
      'import-x/no-cycle': 'error',
      // A package's API is its index.ts: reaching into another package's src/ or dist/ couples
      // to internals and, for src/, bypasses the project references' build order.
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['@kindling/*/src', '@kindling/*/src/*', '@kindling/*/dist', '@kindling/*/dist/*'],
              message: 'Import a workspace package by its name (its index.ts / package.json exports), not its src/ or dist/ files.',
            },
          ],
        },
      ],
      // Not in `recommended`; stated so that a move to `strict` keeps it off. The code asserts
      // non-null where a preceding check or an invariant (an index bounded by a length, under
      // noUncheckedIndexedAccess) already guarantees the value; the alternative is a branch in
      // hot loops that can never be taken.
      '@typescript-eslint/no-non-null-assertion': 'off',
      // Control characters in regexes are deliberate here: job specs refuse names holding
      // them and need single ASCII characters, terminal tests strip ANSI escapes (\x1b).
      'no-control-regex': 'off',
      // `_`-prefixed parameters and bindings are deliberate: interface implementations and
      // callbacks whose signature is fixed by the caller, and destructuring that drops a field.
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrorsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_' },
      ],
    },
  },
  {
    files: ['*/test/**/*.ts', 'test/src/**/*.ts'],
    rules: {
      // Tests build deliberately ill-typed values to exercise runtime validation (a message
      // with a string where a number belongs) and read untyped third-party output (parquet
      // rows); `unknown` plus a cast at every step would only hide what the test does.
      '@typescript-eslint/no-explicit-any': 'off',
    },
  },
);
