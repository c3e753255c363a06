/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/tests'],
  testMatch: ['**/*.test.ts'],
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.json' }] },
  setupFiles: ['<rootDir>/tests/support/setup-env.ts'],
  // Every supertest response is checked against the generated OpenAPI document.
  setupFilesAfterEnv: ['<rootDir>/tests/support/validate-responses.ts'],
  testTimeout: 30000,
};
