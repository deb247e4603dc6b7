// ESLint flat config: typescript-eslint's recommended rules for the front end and its specs,
// and limits on complexity and function length.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  {
    ignores: [
      '**/node_modules/',
      'tests/ui/.lab-root-*/',
      'tests/ui/test-results/',
      'labextension/lib/',
      'kernel_ext/tgraph/labextension/',
      'kernel_ext/tgraph/static/',
      'labextension/src/common/validators.generated.ts',
      '.venv/',
      '**/*.js'
    ]
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
      // JupyterLab's convention: interfaces start with I, private members with _.
      '@typescript-eslint/naming-convention': [
        'error',
        {
          selector: 'interface',
          format: ['PascalCase'],
          custom: { regex: '^I[A-Z]', match: true }
        },
        {
          selector: 'memberLike',
          modifiers: ['private'],
          format: ['camelCase'],
          leadingUnderscore: 'require'
        }
      ]
    }
  },
  {
    // Limits that hold the shape: a function fits on a screen and reads in one go.
    files: ['labextension/src/**/*.ts', 'tests/js/**/*.ts', 'tests/ui/tests/**/*.ts'],
    rules: {
      complexity: ['error', 12],
      'max-lines-per-function': ['error', { max: 80, skipBlankLines: true, skipComments: true }]
    }
  },
  {
    // A source module has one job and stays under 500 lines (specs follow their module).
    files: ['labextension/src/**/*.ts'],
    rules: { 'max-lines': ['error', { max: 500 }] }
  },
  {
    // common/ is shared by every host (the widget, JupyterLab, VS Code): no host's packages there.
    files: ['labextension/src/common/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['@jupyterlab/*', '@lumino/*', '../lab/*', '../widget/*'],
              message: 'common/ imports no host: put host code in lab/ or widget/'
            }
          ]
        }
      ]
    }
  },
  {
    // A spec's describe() callback holds many tests: it is a list, not one function.
    files: ['tests/js/**/*.spec.ts', 'tests/ui/tests/**/*.spec.ts'],
    rules: { 'max-lines-per-function': 'off' }
  },
  {
    // The wire contract keeps the Python names (kernel_ext/tgraph/messages.py, graph.py),
    // so the generated JSON schema's definitions match them one to one.
    files: ['labextension/src/common/messages.ts', 'labextension/src/common/graph.ts'],
    rules: {
      '@typescript-eslint/naming-convention': [
        'error',
        { selector: 'interface', format: ['PascalCase'] }
      ]
    }
  }
);
