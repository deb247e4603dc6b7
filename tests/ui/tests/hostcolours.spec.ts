/**
 * The widget's stylesheet (as built into kernel_ext/tgraph/static/widget.css)
 * in each of VS Code's theme kinds, on a page that defines what VS Code's
 * output webview defines: its --vscode-* colours, a body class, and also
 * JupyterLab's variables with their *light* values (the widget manager's).
 * The widget must take VS Code's colours first, and keep text readable.
 * The real VS Code runs in the VS Code tests; this one pins the stylesheet.
 */
import { expect, test } from '@playwright/test';
import * as fs from 'fs';
import * as path from 'path';

import { backgroundOf, labelContrast, textContrast } from './contrast';

const CSS = fs.readFileSync(
  path.resolve(__dirname, '../../../kernel_ext/tgraph/static/widget.css'),
  'utf8'
);

/** What VS Code's widget manager defines whatever the theme (JupyterLab's light values). */
const JUPYTERLAB_LIGHT =
  '--jp-layout-color0: white; --jp-layout-color1: white; --jp-ui-font-color1: rgba(0, 0, 0, 0.87);' +
  '--jp-ui-font-color2: rgba(0, 0, 0, 0.54); --jp-border-color1: #bdbdbd;';

/** Each theme kind: its body class and the colours of VS Code's default theme of that kind. */
const THEMES: Record<string, { editor: string; fg: string; widget: string; muted: string }> = {
  'vscode-dark': { editor: '#1e1e1e', fg: '#d4d4d4', widget: '#252526', muted: '#ccccccb3' },
  'vscode-light': { editor: '#ffffff', fg: '#000000', widget: '#f3f3f3', muted: '#717171' },
  'vscode-high-contrast': { editor: '#000000', fg: '#ffffff', widget: '#0c141f', muted: '#ffffff' },
  'vscode-high-contrast-light': {
    editor: '#ffffff',
    fg: '#292929',
    widget: '#ffffff',
    muted: '#292929'
  }
};

/** A widget as anywidget mounts it: a graph with one node of each kind, and a timing row. */
const WIDGET = `
<div class="tg-root">
  <div class="tg-graph"><svg viewBox="0 0 300 60" xmlns="http://www.w3.org/2000/svg">
    <g class="graph">
      <g id="tg-x" class="node tg-input"><ellipse fill="#d8f3dc" cx="30" cy="30" rx="25" ry="15"/><text x="30" y="34">x</text></g>
      <g id="tg-m" class="node tg-op"><polygon fill="#eef2f7" points="80,15 140,15 140,45 80,45"/><text x="110" y="34">Mul</text></g>
      <g id="tg-y" class="node tg-output"><ellipse fill="#dbe7ff" cx="200" cy="30" rx="25" ry="15"/><text x="200" y="34">y</text></g>
    </g>
  </svg></div>
  <section class="tg-timing-section"><div class="tg-timing">
    <table class="tg-timing-table"><tbody><tr><td>cpu:0</td><td>numba</td><td>1.2 ms</td></tr></tbody></table>
  </div></section>
</div>`;

for (const [kind, colours] of Object.entries(THEMES)) {
  test(`in VS Code's ${kind} theme the widget takes VS Code's colours, readable`, async ({
    page
  }) => {
    const vscode =
      `--vscode-editor-background: ${colours.editor}; --vscode-editor-foreground: ${colours.fg};` +
      `--vscode-editorWidget-background: ${colours.widget};` +
      `--vscode-descriptionForeground: ${colours.muted};`;
    await page.setContent(
      `<!DOCTYPE html><html><head><style>${CSS}</style></head>` +
        `<body class="${kind}" style="${JUPYTERLAB_LIGHT} ${vscode} background: ${colours.editor}">` +
        `${WIDGET}</body></html>`
    );
    const canvas = page.locator('.tg-graph');
    const editor = await page.evaluate(c => {
      const probe = document.createElement('div');
      probe.style.background = c;
      document.body.append(probe);
      const rgb = getComputedStyle(probe).backgroundColor;
      probe.remove();
      return rgb;
    }, colours.editor);
    expect(await backgroundOf(canvas)).toBe(editor);
    expect(await textContrast(canvas)).toBeGreaterThanOrEqual(4.5);
    for (const id of ['tg-x', 'tg-m', 'tg-y']) {
      expect(await labelContrast(page.locator(`#${id}`)), id).toBeGreaterThanOrEqual(4.5);
    }
    const cell = page.locator('.tg-timing-table td').last();
    expect(await textContrast(cell)).toBeGreaterThanOrEqual(4.5);
  });
}
