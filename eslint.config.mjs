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
      '.venv/',
      '**/*.js'
    ]
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_' }
      ]
    }
  }
);
