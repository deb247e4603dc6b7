// Bundles the extension host's code (CommonJS, `vscode` left to VS Code) and
// the two webviews (browser scripts with their CSS) into dist/.
import { build } from 'esbuild';

const common = { bundle: true, minify: true, logLevel: 'warning', sourcemap: false };
await Promise.all([
  build({
    ...common,
    entryPoints: ['src/extension.ts'],
    outfile: 'dist/extension.js',
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    external: ['vscode']
  }),
  build({
    ...common,
    entryPoints: { list: 'webview/list.ts', document: 'webview/document.ts' },
    outdir: 'dist',
    platform: 'browser',
    format: 'iife',
    target: 'es2022'
  })
]);
