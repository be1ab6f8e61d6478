/** Two projects: unit specs beside the code, e2e specs in test/. TZ is pinned so that
 * time-zone behaviour is always tested explicitly, never by accident of the host. */
process.env.TZ = 'UTC';

const transform = {
  '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.json' }],
};

module.exports = {
  projects: [
    {
      displayName: 'unit',
      testEnvironment: 'node',
      moduleFileExtensions: ['ts', 'js', 'json'],
      rootDir: '.',
      testMatch: ['<rootDir>/src/**/*.spec.ts', '<rootDir>/sandbox/**/*.spec.ts'],
      transform,
    },
    {
      displayName: 'e2e',
      testEnvironment: 'node',
      moduleFileExtensions: ['ts', 'js', 'json'],
      rootDir: '.',
      testMatch: ['<rootDir>/test/**/*.e2e-spec.ts'],
      transform,
      // A project's own `testTimeout` is ignored by Jest; the setup file sets 60 s for e2e.
      setupFilesAfterEnv: ['<rootDir>/test/support/jest-e2e.setup.ts'],
    },
  ],
};
