// Native ESM jest (the AWS-free Kubernetes client and middy 6 are ESM only), TypeScript via ts-jest.
const transform = { '^.+\\.ts$': ['ts-jest', { useESM: true, tsconfig: 'tsconfig.json' }] };
const common = {
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  transform,
  // Closes what a test file started, even after a timed-out beforeAll (test/support/teardown.ts).
  setupFilesAfterEnv: ['<rootDir>/test/support/setup-after-env.ts'],
};

/** @type {import('jest').Config} */
export default {
  projects: [
    { ...common, displayName: 'unit', testMatch: ['<rootDir>/test/unit/**/*.test.ts'] },
    {
      ...common,
      displayName: 'integration',
      testMatch: ['<rootDir>/test/integration/**/*.test.ts'],
      // Starts ElasticMQ, DynamoDB Local and the Kubernetes control plane once for the whole run.
      globalSetup: '<rootDir>/test/support/global-setup.mjs',
      globalTeardown: '<rootDir>/test/support/global-teardown.mjs',
      // Twice the unit project's time for hooks and tests (jest reads only the global testTimeout).
      setupFilesAfterEnv: [...common.setupFilesAfterEnv, '<rootDir>/test/support/integration-timeout.ts'],
    },
  ],
  // Integration tests wait for real servers; unit tests finish far inside this anyway.
  testTimeout: 60_000,
  // On CI a leaked handle must not turn a finished run into a wait for the 90-minute limit (jest
  // runs in band on 2 cores, so one open server keeps it alive). Locally jest still warns instead.
  forceExit: process.env.CI === 'true',
  coverageThreshold: { global: { lines: 70 } },
  collectCoverageFrom: ['shared/**/*.ts', 'functions/**/*.ts'],
};
