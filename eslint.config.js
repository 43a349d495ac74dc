import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['node_modules/', 'data/', 'coverage/', '.bench-tmp/', 'console/dist/', 'dist/', 'dist.tmp-*/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-explicit-any': 'off',
      'no-control-regex': 'off',
    },
  },
  {
    // Type-aware rules on the sources (tests and scripts keep the syntactic set: they lean on
    // loosely typed fixtures and JSON, where these rules would only add casts).
    files: ['src/**/*.ts'],
    extends: [tseslint.configs.recommendedTypeChecked],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      // Fastify plugins and Kysely's migration provider are async by contract: an async function
      // without an await is how they hand back a promise, not a forgotten await.
      '@typescript-eslint/require-await': 'off',
      '@typescript-eslint/no-explicit-any': 'off',
    },
  },
  {
    // Transports go through services; only services and the runtime touch the store.
    files: ['src/http/**/*.ts', 'src/cli/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ group: ['**/db/*', '!**/db/database.ts', '!**/db/url.ts'], message: 'transports use services, not the store' }] }],
    },
  },
  {
    // The CLI is a transport beside HTTP: it uses service-level shapes, never an HTTP schema.
    files: ['src/cli/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['**/db/*', '!**/db/database.ts', '!**/db/url.ts'], message: 'transports use services, not the store' },
            { group: ['**/http/**'], message: 'the CLI uses service-level shapes, not those of the HTTP transport' },
          ],
        },
      ],
    },
  },
  {
    files: ['bin/**/*.mjs', 'bench/**/*.mjs', 'scripts/**/*.mjs'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly' } },
  },
);
