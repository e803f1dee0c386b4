/**
 * One run for unit (`src/**\/*.spec.ts`) and e2e (`test/**\/*.e2e-spec.ts`) suites. pg-boss and a
 * few of its dependencies ship only as ES modules, which Jest's CommonJS runtime cannot load, so
 * those files are transpiled too.
 */
const esmOnlyPackages = ['pg-boss', 'serialize-error', 'non-error', 'rrule-temporal', 'temporal-spec'];

/** @type {import('jest').Config} */
module.exports = {
  rootDir: '.',
  testEnvironment: 'node',
  testRegex: ['src/.*\\.spec\\.ts$', 'test/.*\\.e2e-spec\\.ts$'],
  moduleFileExtensions: ['ts', 'js', 'json'],
  transform: {
    '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.json' }],
    [`node_modules/(${esmOnlyPackages.join('|')})/.+\\.js$`]: [
      'ts-jest',
      { tsconfig: { allowJs: true, module: 'commonjs', target: 'ES2023' }, isolatedModules: true },
    ],
  },
  transformIgnorePatterns: [`node_modules/(?!(${esmOnlyPackages.join('|')})/)`],
  globalSetup: '<rootDir>/test/support/global-setup.ts',
  globalTeardown: '<rootDir>/test/support/global-teardown.ts',
  testTimeout: 30_000,
};
