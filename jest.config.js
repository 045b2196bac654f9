/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  globalSetup: '<rootDir>/test/helpers/global-setup.js',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: { '^.+\\.ts$': ['@swc/jest', { jsc: { parser: { syntax: 'typescript' }, target: 'es2022' }, module: { type: 'commonjs' } }] },
  moduleFileExtensions: ['ts', 'js', 'json'],
  // A hang guard, not a speed check: two suites at once on a busy 2-core machine stretch slow tests.
  testTimeout: 180000,
  // Database suites share one PostgreSQL server; each suite uses its own schema, but
  // two workers on a 2-core machine is what the machine can give anyway.
  maxWorkers: 2,
};
