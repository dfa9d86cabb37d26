/** Two projects: fast pure/adapter unit tests, and integration tests against real pebble + HAProxy. */
const common = {
  preset: 'ts-jest',
  testEnvironment: 'node',
  setupFilesAfterEnv: ['<rootDir>/test/setup-after-env.ts'],
};

module.exports = {
  projects: [
    { ...common, displayName: 'unit', testMatch: ['<rootDir>/test/unit/**/*.test.ts'] },
    {
      ...common,
      displayName: 'integration',
      testMatch: ['<rootDir>/test/integration/**/*.test.ts'],
      globalSetup: '<rootDir>/test/peers/global-setup.ts',
      globalTeardown: '<rootDir>/test/peers/global-teardown.ts',
      setupFilesAfterEnv: [...common.setupFilesAfterEnv, '<rootDir>/test/integration/setup-timeout.ts'],
    },
  ],
};
