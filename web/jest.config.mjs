import presets from 'jest-preset-angular/presets/index.js';

const { createCjsPreset } = presets;

/** Jest for every project of the workspace: zoneless, jsdom, one run. */
export default {
  ...createCjsPreset({ tsconfig: '<rootDir>/tsconfig.spec.json' }),
  testEnvironment: 'jest-preset-angular/environments/jest-jsdom-env',
  setupFilesAfterEnv: ['<rootDir>/jest.setup.ts'],
  roots: ['<rootDir>/projects'],
  moduleNameMapper: {
    '^@astro/shared$': '<rootDir>/projects/shared/src/public-api.ts',
    '^@astro/shared/(.*)$': '<rootDir>/projects/shared/src/$1',
  },
  collectCoverageFrom: ['projects/**/*.ts', '!projects/**/*.spec.ts', '!projects/shared/src/api/**'],
};
