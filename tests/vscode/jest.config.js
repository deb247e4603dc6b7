/** jest: the VS Code extension's kernel client, in Node, against a fake of the Jupyter API. */
module.exports = {
  rootDir: '../..',
  testEnvironment: 'node',
  roots: ['<rootDir>/tests/vscode/unit'],
  testMatch: ['**/*.spec.ts'],
  transform: {
    '^.+\\.ts$': ['ts-jest', { tsconfig: '<rootDir>/tests/vscode/tsconfig.json' }]
  },
  modulePathIgnorePatterns: ['<rootDir>/kernel_ext/tgraph/labextension', '<rootDir>/build']
};
