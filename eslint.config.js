// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['node_modules/', 'dist/', '.serverless/', 'coverage/'] },
  js.configs.recommended,
  ...tseslint.configs.strict,
  {
    languageOptions: { globals: { process: 'readonly', console: 'readonly' } },
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { varsIgnorePattern: '^_', argsIgnorePattern: '^_' }],
      'no-restricted-syntax': [
        'error',
        {
          selector: 'ExportDefaultDeclaration',
          message: 'Use named exports (docs/contributing.md, convention 8).',
        },
      ],
    },
  },
  {
    // Only config loaders and the local harness may read the environment (docs/contributing.md,
    // convention 3).
    files: ['shared/**/*.ts'],
    ignores: ['shared/config/**'],
    rules: {
      'no-restricted-properties': [
        'error',
        { object: 'process', property: 'env', message: 'Read settings in shared/config and pass them in.' },
      ],
    },
  },
  {
    // Product code (and the local harness and bench) never imports from test/: what they share with
    // the tests lives in infra/local/stand-ins/.
    files: ['{shared,functions,infra,scripts,bin,bench}/**/*.{ts,js,mjs,cjs}'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              regex: '(^|/)test/',
              message:
                'Product code does not import from test/: move what both need to infra/local/stand-ins/.',
            },
          ],
        },
      ],
    },
  },
  {
    // The domain's pure modules import no adapter at runtime: no AWS SDK, no Kubernetes client, none of
    // shared/state, shared/queue (its limits are constants) or shared/cluster. Types are fine: ports
    // are typed with them.
    files: [
      'shared/capacity/**/*.ts',
      'shared/requests/**/*.ts',
      'shared/templates/**/*.ts',
      'shared/reap/{decide,pod-view,report,rules}.ts',
      'shared/provision/{decide,errors,prepare-batch}.ts',
      'shared/webhook/{backlog,outcome}.ts',
    ],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['@aws-sdk/*', '@smithy/*', '@kubernetes/client-node'],
              allowTypeImports: true,
              message: 'A pure module takes what it needs from its caller: type-only imports of clients.',
            },
            {
              regex: '(^|/)(state|cluster)(/|$)|(^|/)queue(/(?!limits$)|$)',
              allowTypeImports: true,
              message: 'A pure module imports no adapter at runtime (state, queue, cluster): pass a port in.',
            },
          ],
        },
      ],
    },
  },
  {
    // Tests, and the stand-ins they share with pitcrew dev and the bench, may assert what they just
    // created exists; tests may delete env keys they set.
    files: ['test/**/*.ts', 'infra/local/stand-ins/**/*.ts'],
    rules: {
      '@typescript-eslint/no-non-null-assertion': 'off',
      '@typescript-eslint/no-dynamic-delete': 'off',
    },
  },
  {
    // Serverless Framework plugins are CommonJS modules: osls loads them with require().
    files: ['**/*.cjs'],
    languageOptions: { sourceType: 'commonjs', globals: { require: 'readonly', module: 'writable' } },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    // Tools that require a default export.
    files: ['eslint.config.js', '**/jest.config.js', 'test/support/global-*.mjs'],
    rules: { 'no-restricted-syntax': 'off' },
  },
);
