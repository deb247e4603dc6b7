/**
 * tgraph in real VS Code: the inline widget drawn by the Jupyter extension's
 * widget manager, the side bar's list of graphs, a graph at full size in an
 * editor tab, "Go to cell", and timing reaching the kernel from the widget.
 */
import { expect, Frame, Page, test } from '@playwright/test';
import * as fs from 'fs';
import * as path from 'path';
import {
  colours,
  command,
  contrast,
  frameWith,
  luminance,
  openNotebook,
  openWorkbench,
  runAll,
  runCell,
  tgraphView,
  toRgb
} from './workbench';

/** The folder VS Code has open (start-code-server.sh copies the notebooks there). */
const WORKSPACE = path.join(__dirname, '..', '..', '..', 'build', 'vscode-test', 'workspace');

test.describe.configure({ mode: 'serial' });

let page: Page;
/** The notebook's output webview, holding the inline widget. */
let outputs: Frame;

test.beforeAll(async ({ browser }) => {
  page = await browser.newPage();
  await openWorkbench(page);
  await openNotebook(page, 'graphs.ipynb');
  await runAll(page);
  outputs = await frameWith(page, '.tg-timing-section');
});

/**
 * The inline widget of the logistic cell, the one whose graph as written
 * negates (-x): outputs need not sit in the page in cell order.
 */
function logisticWidget() {
  const neg = outputs.locator('.tg-panel[data-view=original] .tg-graph svg g.node', {
    hasText: /^\s*neg\b/i
  });
  return outputs.locator('.tg-root', { has: neg });
}

test.afterAll(async () => {
  await page.close();
});

test('the inline widget draws its tabs and a node inspects', async () => {
  const widget = logisticWidget();
  await expect(widget.locator('.tg-tab[data-view=original]')).toBeVisible();
  await expect(widget.locator('.tg-tab[data-view=optimized]')).toBeVisible();
  const node = widget.locator('.tg-graph svg g.node', { hasText: /exp/i }).first();
  // The picture is drawn again when the views built after the cell arrive.
  // VS Code scrolls the notebook, not the output webview, so a node the
  // notebook has scrolled away is out of Playwright's reach: it gets the
  // click event itself (as Run does below).
  await expect(async () => {
    await node.dispatchEvent('click');
    await expect(widget.locator('.tg-inspector-title')).toHaveText(/exp/i, { timeout: 2000 });
  }).toPass();
  await widget.locator('.tg-tab[data-view=optimized]').dispatchEvent('click');
  await expect(
    widget
      .locator('.tg-panel[data-view=optimized] .tg-graph svg g.node', { hasText: /sigmoid/i })
      .first()
  ).toBeVisible();
});

test('the tgraph view lists the graphs newest first, with cell and node counts', async () => {
  const view = await tgraphView(page);
  const rows = view.locator('.tg-panel-row');
  await expect(rows).toHaveCount(2);
  await expect(rows.locator('.tg-panel-name')).toHaveText([
    'safe_log · pytensor',
    'logistic · pytensor'
  ]);
  await expect(rows.locator('.tg-panel-cell')).toHaveText(['[5]', '[3]']);
  // 1 / (1 + exp(-x)): six operations as written (the constants broadcast
  // by two DimShuffles), one sigmoid once rewritten
  await expect(rows.nth(1).locator('.tg-panel-nodes')).toHaveText('6 → 1');
});

/** The graph tab opened from the list's row of `name`. */
async function openGraph(name: string): Promise<Frame> {
  const view = await tgraphView(page);
  await view.locator('.tg-panel-row', { hasText: name }).click();
  return frameWith(page, `.tg-document[data-entry-name="${name}"] .tg-graph svg g.node`);
}

test('a graph opens at full size: views, search, inspector, values, stepper, compare', async () => {
  const doc = (await openGraph('logistic')).locator('.tg-document');
  await expect(
    page.locator('.tabs-container .tab', { hasText: 'logistic · tgraph' })
  ).toBeVisible();

  await doc.locator('.tg-search').fill('exp');
  await expect(doc.locator('.tg-graph svg g.tg-match').first()).toBeVisible();
  await doc.locator('.tg-tab[data-view=optimized]').click();
  await expect(doc.locator('.tg-graph svg g.node', { hasText: /sigmoid/i }).first()).toBeVisible();

  await doc.locator('.tg-tab[data-view=original]').click();
  await doc.locator('.tg-values-toggle').first().click();
  await expect(doc.locator('.tg-values-status').first()).toContainText(/inputs/);

  await doc.locator('.tg-tab[data-view=steps]').click();
  await expect(doc.locator('.tg-step-label')).toContainText('Step 0');
  await doc.locator('.tg-step-next').click();
  await expect(doc.locator('.tg-step-label')).toContainText(/Step 1 of \d+/);
  await expect(doc.locator('.tg-step-label')).toContainText(/replaced/);

  await doc.locator('.tg-tab[data-view=compare]').click();
  await expect(doc.locator('.tg-view')).toHaveCount(2);
  await expect(doc.locator('.tg-compare-summary')).toContainText('paired');
});

test("an export is written where VS Code's save dialog says", async () => {
  const doc = (await openGraph('logistic')).locator('.tg-document');
  await doc.locator('.tg-tab[data-view=original]').click();
  await doc.locator('.tg-export[data-format=dot]').click();
  // code-server's save dialog: a path field, filled with the notebook's folder
  const input = page.locator('.quick-input-widget input');
  await expect(input).toHaveValue(/\.dot$/);
  const target = path.join(WORKSPACE, 'exported-logistic.dot');
  fs.rmSync(target, { force: true });
  await input.fill(target);
  await page.keyboard.press('Enter');
  await expect.poll(() => fs.existsSync(target)).toBe(true);
  const dot = fs.readFileSync(target, 'utf-8');
  expect(dot).toMatch(/^(strict )?digraph/);
  expect(dot).toMatch(/exp/i);
});

test('"Go to cell" reveals the notebook cell that made a node', async () => {
  const doc = (await openGraph('logistic')).locator('.tg-document');
  await doc.locator('.tg-tab[data-view=original]').click();
  await doc.locator('.tg-graph svg g.node', { hasText: /exp/i }).first().click();
  const goto = doc.locator('.tg-goto');
  await expect(goto).toHaveText(/^Go to cell \[3\], line \d+$/);
  await goto.click();
  const focused = page.locator('.notebook-editor .monaco-list-row.focused');
  await expect(focused).toContainText('logistic = pytensor.function');
  await expect(focused.locator('.monaco-editor.focused')).toHaveCount(1);
});

test('Run in the inline widget reaches the kernel and adds a timing row', async () => {
  await page.locator('.tabs-container .tab', { hasText: 'graphs.ipynb' }).click();
  const widget = logisticWidget();
  const rows = widget.locator('.tg-timing-table tbody tr:not(.tg-timing-running)');
  await expect(rows).toHaveCount(1); // the widget timed itself once on screen
  await expect(widget.locator('.tg-timing-looking')).toBeHidden();
  await widget.locator('.tg-run').dispatchEvent('click');
  await expect(rows).toHaveCount(2);
  await expect(rows.nth(1)).toHaveAttribute('data-device', /^cpu/);
});

/** Switch VS Code's colour theme with its theme picker. */
async function useTheme(theme: string, workbenchClass: string): Promise<void> {
  await command(page, 'Preferences: Color Theme');
  const input = page.locator('.quick-input-widget input');
  await input.fill(theme, { timeout: 10_000 });
  await page
    .locator('.quick-input-widget .monaco-list-row', { hasText: theme })
    .first()
    .waitFor({ timeout: 10_000 });
  await page.keyboard.press('Enter');
  await expect(page.locator(`.monaco-workbench.${workbenchClass}`)).toBeVisible();
}

/** WCAG AA for text: at least 4.5:1. */
const AA = 4.5;

for (const [theme, bodyClass] of [
  ['Dark Modern', 'vs-dark'],
  ['Dark High Contrast', 'hc-black']
] as const) {
  test(`in ${theme}, the widget's canvas, node labels and timing cells read at ${AA}:1`, async () => {
    await useTheme(theme, bodyClass);
    const widget = logisticWidget();
    await expect(outputs.locator('body')).toHaveClass(/vscode-(dark|high-contrast)/);
    // behind a transparent output: the notebook's own background
    const behind = await outputs
      .locator('body')
      .evaluate(b => getComputedStyle(b).getPropertyValue('--vscode-editor-background'));
    const canvas = widget.locator('.tg-panel:not([hidden]) .tg-graph').first();
    const [ink, paper] = await colours(canvas, 'color', toRgb(behind));
    expect(luminance(paper)).toBeLessThan(0.05); // the canvas is dark, not white
    expect(contrast(ink, paper)).toBeGreaterThanOrEqual(AA);

    const node = canvas.locator('svg g.node').first();
    const [label] = await colours(node.locator('text').first(), 'fill', paper);
    const shape = await node
      .locator('polygon, ellipse, path')
      .first()
      .evaluate(s => getComputedStyle(s).fill);
    const box = shape === 'none' ? paper : shape;
    expect(contrast(label, box)).toBeGreaterThanOrEqual(AA);

    const cell = widget.locator('.tg-timing-table tbody td').first();
    const [text, back] = await colours(cell, 'color', toRgb(behind));
    expect(contrast(text, back)).toBeGreaterThanOrEqual(AA);
  });

  test(`in ${theme}, the graph tab and the list follow the theme`, async () => {
    await expect(page.locator(`.monaco-workbench.${bodyClass}`)).toBeVisible(); // set just before
    const doc = (await openGraph('logistic')).locator('.tg-document');
    const canvas = doc.locator('.tg-graph').first();
    const [ink, paper] = await colours(canvas, 'color', 'rgb(255, 255, 255)');
    expect(luminance(paper)).toBeLessThan(0.05);
    expect(contrast(ink, paper)).toBeGreaterThanOrEqual(AA);
    const view = await tgraphView(page);
    const name = view.locator('.tg-panel-row .tg-panel-name').first();
    const [words, under] = await colours(name, 'color', 'rgb(255, 255, 255)');
    expect(luminance(under)).toBeLessThan(0.05);
    expect(contrast(words, under)).toBeGreaterThanOrEqual(AA);
  });
}

test('a notebook whose kernel has no tgraph loaded: the view says what to do', async () => {
  await command(page, 'View: Close All Editors'); // plain.ipynb alone on screen
  await openNotebook(page, 'plain.ipynb');
  const view = await tgraphView(page);
  const status = view.locator('.tg-panel-message');
  await expect(status).toHaveText(/^Run a cell/);
  await runCell(page, 0);
  await expect(status).toHaveText(
    'tgraph is not loaded in this kernel: run %load_ext tgraph in a cell.'
  );
  await expect(view.locator('.tg-panel-row')).toHaveCount(0);
});
