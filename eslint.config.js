import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['node_modules/', 'data/', 'coverage/', '.bench-tmp/', 'console/dist/'] },
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
    // Transports go through services; only services and the runtime touch the store.
    files: ['src/http/**/*.ts', 'src/cli/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ group: ['**/db/*', '!**/db/database.ts'], message: 'transports use services, not the store' }] }],
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
            { group: ['**/db/*', '!**/db/database.ts'], message: 'transports use services, not the store' },
            { group: ['**/http/**'], message: 'the CLI uses service-level shapes, not those of the HTTP transport' },
          ],
        },
      ],
    },
  },
  {
    files: ['bin/**/*.mjs', 'bench/**/*.mjs'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly' } },
  },
);
