import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['**/dist/**', '**/node_modules/**', '**/.turbo/**', '**/coverage/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      // Each file is checked with the program of its package's tsconfig.json (src, test, bench,
      // examples and scripts are all in it).
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      'no-constant-condition': ['error', { checkLoops: false }],
      // Ambient typings for untyped dependencies must travel with the sources that other
      // packages compile through the `@nori/source` condition, so path references are allowed.
      '@typescript-eslint/triple-slash-reference': ['error', { path: 'always', types: 'prefer-import', lib: 'always' }],
      // `async` without `await` is deliberate where an async interface is implemented
      // synchronously (MemoryStorage, test doubles): a throw then becomes a rejection, as callers
      // expect. Promise handling is checked by no-floating-promises, no-misused-promises,
      // await-thenable and return-await instead.
      '@typescript-eslint/require-await': 'off',
      // An awaited promise inside try keeps its rejection in the catch/finally and the stack.
      '@typescript-eslint/return-await': ['error', 'in-try-catch'],
      // Rejecting with a caught value passes it on unchanged, like a rethrow.
      '@typescript-eslint/prefer-promise-reject-errors': ['error', { allowThrowingUnknown: true }],
      '@typescript-eslint/switch-exhaustiveness-check': ['error', { considerDefaultExhaustiveForUnions: true }],
      // no-unnecessary-condition is left off: public entry points re-check at run time what the
      // types already say (`typeof options.x !== 'number'`) for JavaScript callers, which it flags.
    },
  },
  {
    files: ['**/test/**', '**/bench/**'],
    rules: {
      // vitest's asymmetric matchers (`expect.objectContaining`, `expect.any`) are typed `any`.
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
    },
  },
  {
    // Plain JavaScript fixtures run in child processes: outside every tsconfig, no type information.
    files: ['**/*.mjs', '**/*.cjs', '**/*.js'],
    extends: [tseslint.configs.disableTypeChecked],
  },
);
