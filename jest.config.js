/** jest: TypeScript specs in tests/js run against labextension/src in jsdom. */

// The runtime checks are generated from the wire's declaration, as `npm run build`
// does, before jest resolves any module: a fresh clone's specs test what the build makes.
require('./labextension/scripts/wire.cjs').main('validators');

module.exports = {
  testEnvironment: 'jsdom',
  roots: ['<rootDir>/tests/js'],
  testMatch: ['**/*.spec.ts'],
  setupFiles: ['<rootDir>/tests/js/setup.ts'],
  transform: {
    '^.+\\.ts$': [
      'ts-jest',
      {
        // the build tsconfig is a composite project limited to labextension/src
        tsconfig: '<rootDir>/tests/js/tsconfig.json'
      }
    ]
  },
  moduleNameMapper: { '\\.css$': '<rootDir>/tests/js/css-stub.ts' },
  modulePathIgnorePatterns: [
    '<rootDir>/kernel_ext/tgraph/labextension',
    '<rootDir>/labextension/lib'
  ]
};
