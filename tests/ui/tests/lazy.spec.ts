/**
 * Fast cells: the views and timings a cell does not wait for arrive after
 * it. Run All on the tutorial notebook ends; widgets far from the screen wait
 * to be scrolled to, then each fills in; a view still being built says what
 * the kernel is doing, then shows.
 */
import { expect, test } from '@jupyterlab/galata';
import * as path from 'path';

import { TIMING_ROWS, notebookWith, widgetOf } from './helpers';

const WIDGET_MIME = 'application/vnd.jupyter.widget-view+json';
const EXAMPLE = path.resolve(__dirname, '..', '..', '..', 'examples', 'pytensor_basics.ipynb');

test('Run All on the tutorial ends, then every view and timing appears', async ({
  page,
  tmpPath
}) => {
  await page.contents.uploadFile(EXAMPLE, `${tmpPath}/pytensor_basics.ipynb`);
  await page.notebook.openByPath(`${tmpPath}/pytensor_basics.ipynb`);
  await page.notebook.activate('pytensor_basics.ipynb');
  await page.notebook.run();

  // every cell has ended: an execution count, none left waiting ([*])
  const prompts = page.locator('.jp-Notebook .jp-CodeCell .jp-InputPrompt');
  const count = await prompts.count();
  expect(count).toBeGreaterThanOrEqual(16);
  await expect(page.locator('.jp-Notebook .jp-InputPrompt', { hasText: '[*]' })).toHaveCount(0);
  for (let i = 0; i < count; i++) {
    await expect(prompts.nth(i)).toHaveText(/^\[\d+\]:$/);
  }

  // A widget draws when it comes near the screen: scroll to each in turn, as a reader would.
  const withWidgets = await page.evaluate(mime => {
    type Output = { data?: Record<string, unknown> };
    type Cells = { length: number; get(i: number): { toJSON(): { outputs?: Output[] } } };
    const app = (window as unknown as { jupyterapp: { shell: { currentWidget: unknown } } })
      .jupyterapp;
    const cells = (app.shell.currentWidget as { content: { model: { cells: Cells } } }).content
      .model.cells;
    const found: number[] = [];
    for (let i = 0; i < cells.length; i++) {
      const outputs = cells.get(i).toJSON().outputs ?? [];
      if (outputs.some(o => o.data && mime in o.data)) {
        found.push(i);
      }
    }
    return found;
  }, WIDGET_MIME);
  expect(withWidgets.length).toBeGreaterThanOrEqual(8);
  // those far from the screen have not drawn (nor asked the kernel for anything)
  expect(await page.locator('.jp-Notebook .tg-root').count()).toBeLessThan(withWidgets.length);
  for (const index of withWidgets) {
    const cell = page.locator('.jp-Notebook .jp-Cell').nth(index);
    await cell.scrollIntoViewIfNeeded();
    const widget = cell.locator('.tg-root');
    await expect(widget).toHaveCount(1);
    // no view left to build, and every view draws
    await expect(widget.locator('.tg-tab-pending')).toHaveCount(0);
    const tabs = widget.locator('.tg-tab');
    for (const view of await tabs.evaluateAll(ts =>
      ts.map(t => (t as HTMLElement).dataset.view ?? '')
    )) {
      if (view === 'rewrites' || view.startsWith('text:')) {
        continue;
      }
      await widget.locator(`.tg-tab[data-view="${view}"]`).click();
      const panel = widget.locator(`.tg-panel[data-view="${view}"]`);
      await expect(panel.locator('.tg-graph svg g.node, .tg-empty').first()).toBeVisible();
    }
    // a timed target has its row, measured after the cells ran
    if (await widget.locator('.tg-timing-section').isVisible()) {
      await expect(widget.locator(TIMING_ROWS).first()).toBeVisible();
      await expect(widget.locator('.tg-timing-running')).toHaveCount(0);
    }
  }
});

// About 1,200 nodes that were never compiled: rewriting them takes the kernel seconds.
const BIG = [
  '%%tgraph',
  'import pytensor.tensor as T',
  "x = T.dvector('x')",
  'y = x',
  'for i in range(300):',
  '    y = T.exp(T.sin(y) * 0.5 + 0.1)'
].join('\n');

test('a lazy tab shows the kernel at work, then the graph', async ({ page }) => {
  await notebookWith(page, 'lazy.ipynb', [BIG]);
  const widget = widgetOf(page, 1);
  await expect(widget.locator('.tg-graph svg g.node').first()).toBeVisible();
  const lazy = widget.locator('.tg-tab.tg-tab-pending').first();
  await expect(lazy).toBeVisible();
  const view = await lazy.getAttribute('data-view');
  await lazy.click();
  const panel = widget.locator(`.tg-panel[data-view="${view}"]`);
  await expect(panel.locator('.tg-pending-text')).toHaveText(
    /(… \d+\.\d s|waiting for the kernel \(cells run first\))$/
  );
  await expect(panel.locator('.tg-graph svg g.node').first()).toBeVisible();
  await expect(widget.locator(`.tg-tab[data-view="${view}"]`)).not.toHaveClass(/tg-tab-pending/);
});
