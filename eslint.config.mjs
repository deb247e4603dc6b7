// ESLint flat config: typescript-eslint's recommended rules for the front end and its specs.
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
