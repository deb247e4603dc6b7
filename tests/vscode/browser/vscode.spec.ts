/**
 * tgraph in real VS Code: the inline widget drawn by the Jupyter extension's
 * widget manager, the side bar's list of graphs, a graph at full size in an
 * editor tab, "Go to cell", and timing reaching the kernel from the widget.
 */
import { expect, Frame, Page, test } from '@playwright/test';

import { frameWith, openNotebook, openWorkbench, runAll, tgraphView } from './workbench';

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

test.afterAll(async () => {
  await page.close();
});

test('the inline widget draws its tabs and a node inspects', async () => {
  const widget = outputs.locator('.tg-root').first();
  await expect(widget.locator('.tg-tab[data-view=original]')).toBeVisible();
  await expect(widget.locator('.tg-tab[data-view=optimized]')).toBeVisible();
  const node = widget.locator('.tg-graph svg g.node', { hasText: /exp/i }).first();
  await node.click();
  await expect(widget.locator('.tg-inspector-title')).toHaveText(/exp/i);
  await widget.locator('.tg-tab[data-view=optimized]').click();
  await expect(widget.locator('.tg-panel[data-view=optimized] .tg-graph svg g.node', { hasText: /sigmoid/i }).first()).toBeVisible();
});

test('the tgraph view lists the graph with its cell and node counts', async () => {
  const view = await tgraphView(page);
  const row = view.locator('.tg-panel-row').first();
  await expect(row.locator('.tg-panel-name')).toHaveText('logistic · pytensor');
  await expect(row.locator('.tg-panel-cell')).toHaveText('[3]');
  await expect(row.locator('.tg-panel-nodes')).toHaveText(/^\d+ → \d+$/);
});
