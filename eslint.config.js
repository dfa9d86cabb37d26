/**
 * ESLint flat config. Encodes the house style (layout and testing rules):
 * size limits for src/, the layer rule `cli → issuance/renewal → adapters → pure`, "import another
 * folder only through its index.ts", and "no test passes while asserting nothing".
 */
const { defineConfig, globalIgnores } = require('eslint/config');
const tseslint = require('typescript-eslint');
const importPlugin = require('eslint-plugin-import');
const jestPlugin = require('eslint-plugin-jest');

/** Use cases: may import adapters, pure modules and other use cases, never the CLI or snap/. */
const USE_CASES = ['issuance', 'renewal', 'migration', 'doctor', 'metrics', 'manual'];
/** Adapters: may import log and the pure modules, never each other. */
const ADAPTERS = ['acme', 'challenge', 'storage', 'config', 'haproxy', 'deploy-hooks', 'log'];
/** Every src/ folder that is not pure (pem is pure; errors.ts, clock.ts, haproxyWord.ts, nodeId.ts and acmeToken.ts are pure files). */
const IMPURE = ['cli', 'snap', ...USE_CASES, ...ADAPTERS];

const src = (name) => `./src/${name}`;

const zones = [
  // Only main.ts is the composition root: nothing imports it.
  { target: './src', from: './src/main.ts', message: 'main.ts is the composition root; nothing imports it' },
  // Nothing imports cli/ except main.ts.
  {
    target: ['./src/!(cli)/**', './src/!(main).ts'],
    from: './src/cli',
    message: 'Only main.ts may import cli/',
  },
  // snap/ (the snap's hooks and HAProxy wrapper) is an entry point like cli/: only main.ts imports it.
  {
    target: ['./src/!(snap)/**', './src/!(main).ts'],
    from: './src/snap',
    message: 'Only main.ts may import snap/',
  },
  // Adapters never import a use case or each other; every adapter may import log/ (but log/
  // imports no other adapter).
  ...ADAPTERS.map((adapter) => ({
    target: src(adapter),
    from: [...USE_CASES, ...ADAPTERS.filter((a) => a !== adapter && a !== 'log')].map(src),
    message: 'Adapters never import each other or a use case; pass collaborators in through options',
  })),
  // Pure modules import nothing impure.
  {
    target: [
      src('pem'),
      src('errors.ts'),
      src('clock.ts'),
      src('haproxyWord.ts'),
      src('nodeId.ts'),
      src('acmeToken.ts'),
    ],
    from: IMPURE.map(src),
    message: 'Pure modules (pem, errors, clock, haproxyWord, nodeId, acmeToken) import only errors and clock',
  },
  {
    target: [src('errors.ts'), src('clock.ts'), src('haproxyWord.ts'), src('nodeId.ts'), src('acmeToken.ts')],
    from: src('pem'),
    message: 'errors, clock, haproxyWord, nodeId and acmeToken import no other folder',
  },
  // storage/: the contracts at the top import no backend (only index.ts re-exports them), and no
  // backend imports another, so that a new backend is a new folder next to file/ and memory/.
  {
    target: './src/storage/!(index).ts',
    from: [src('storage/file'), src('storage/memory')],
    message: 'The storage contracts import no backend; only storage/index.ts re-exports them',
  },
  {
    target: src('storage/memory'),
    from: src('storage/file'),
    message: 'Storage backends never import each other; share code through the contracts at storage/',
  },
  {
    target: src('storage/file'),
    from: src('storage/memory'),
    message: 'Storage backends never import each other; share code through the contracts at storage/',
  },
];

/**
 * A file may import another src/ folder only through its index.ts: `../acme`, never
 * `../acme/_service` or `../log/logger`. Siblings (`./_x`) are fine.
 */
const onlyThroughIndex = {
  patterns: [
    {
      regex: '^\\.\\.?/[^./][^/]*/',
      message: "Import another folder only through its index.ts (e.g. '../acme'), never one of its files",
    },
  ],
};

module.exports = defineConfig(
  globalIgnores(['dist/', 'node_modules/', 'coverage/', '.tmp/', '.lego/']),
  // A stale `eslint-disable` comment is an error, so every remaining one still explains a real case.
  { linterOptions: { reportUnusedDisableDirectives: 'error' } },
  {
    files: ['**/*.ts', '**/*.js'],
    extends: [tseslint.configs.recommended],
    rules: {
      // `const { secret: _secret, ...rest } = x` is how we drop a field; tsc accepts it too.
      '@typescript-eslint/no-unused-vars': ['error', { ignoreRestSiblings: true }],
    },
  },
  {
    // The config files themselves are CommonJS (package.json has no "type": "module").
    files: ['**/*.js'],
    languageOptions: { sourceType: 'commonjs' },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    files: ['src/**/*.ts'],
    plugins: { import: importPlugin },
    settings: {
      'import/resolver': { node: { extensions: ['.ts', '.js', '.json'] } },
    },
    rules: {
      'no-console': 'error',
      'max-lines': ['error', { max: 400, skipBlankLines: true, skipComments: true }],
      'max-statements': ['error', 50],
      complexity: ['error', 12],
      'import/no-restricted-paths': ['error', { zones }],
      'no-restricted-imports': ['error', onlyThroughIndex],
      // Only the composition root touches the real process; everything else gets it injected.
      'no-restricted-properties': [
        'error',
        ...['env', 'argv', 'exit', 'exitCode'].map((property) => ({
          object: 'process',
          property,
          message: 'Only src/main.ts touches the real process; take it as an option',
        })),
      ],
    },
  },
  {
    files: ['src/main.ts'],
    // main.ts requires the adapters lazily (see its `lazy` table): the idle daemon never loads them.
    rules: { 'no-restricted-properties': 'off', '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    files: ['test/**/*.ts'],
    plugins: { jest: jestPlugin },
    rules: {
      'jest/expect-expect': ['error', { assertFunctionNames: ['expect'] }],
      'jest/no-focused-tests': 'error',
      'jest/no-disabled-tests': 'error',
      'jest/no-conditional-expect': 'error',
      // Tests may assert what they just checked, and stub loosely typed library shapes.
      '@typescript-eslint/no-non-null-assertion': 'off',
      '@typescript-eslint/no-explicit-any': 'off',
    },
  },
);
