// Lint: typescript-eslint's recommended rules, plus the promise rules that would have caught a
// dropped COMMIT (a floating promise is an unseen failure), and a length limit on core functions.
import tseslint from 'typescript-eslint';

export default tseslint.config(
  // TypeScript only: the JavaScript files (tools/, the jest and dependency-cruiser configs) are not in
  // tsconfig.check.json, the project the typed rules read.
  { ignores: ['dist/**', 'node_modules/**', 'coverage/**', 'bench-out/**', '**/*.js', '**/*.mjs', '**/*.cjs'] },
  ...tseslint.configs.recommended,
  {
    languageOptions: { parserOptions: { project: './tsconfig.check.json', tsconfigRootDir: import.meta.dirname } },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      // A control character in a pattern is a slip, except in the hostile-text patterns that mean
      // it: those say so with a disable line (and a stale disable line is an error too).
      'no-control-regex': 'error',
      // `const { id: _id, ...rest } = row` is how a field is left out of a copy.
      '@typescript-eslint/no-unused-vars': ['error', { ignoreRestSiblings: true }],
    },
  },
  {
    files: ['delta-reporter/**/*.ts', 'db/**/*.ts', 'output-agents/**/*.ts', 'inbox/**/*.ts'],
    rules: { 'max-lines-per-function': ['error', { max: 60, skipBlankLines: true, skipComments: true }] },
  },
);
