'use strict'
// `npm run lint`: ESLint's recommended rules over leakguard's JavaScript (Node, CommonJS).

const js = require('@eslint/js')
const globals = require('globals')

module.exports = [
  { ignores: ['binding.js', 'target/**', 'node_modules/**', '.ci/**', 'dist/**', 'bench/v8-heap-parser/**'] },
  js.configs.recommended,
  {
    files: ['**/*.js', '**/*.cjs'],
    languageOptions: {
      ecmaVersion: 2024,
      sourceType: 'commonjs',
      globals: { ...globals.node },
    },
    rules: {
      'no-unused-vars': ['error', { args: 'none', caughtErrors: 'none' }],
      'no-empty': ['error', { allowEmptyCatch: true }],
    },
  },
  {
    files: ['**/*.mjs'],
    languageOptions: { ecmaVersion: 2024, sourceType: 'module', globals: { ...globals.node } },
  },
  {
    files: ['__tests__/**/*.js'],
    languageOptions: { globals: { ...globals.jest } },
  },
  {
    files: ['__tests__/fixtures/vitest/**/*.js'],
    languageOptions: { globals: { ...globals.vitest } },
  },
]
