/** The dark theme, and reaching the panel with the keyboard alone. */
import { expect, test } from '@jupyterlab/galata';

import { labelContrast, luminance, textContrast } from './contrast';
import { TIMING_ROWS, notebookWith, screenshotPath, widgetOf } from './helpers';

/** Timed by itself once on screen, quickly: the timing table gets a row. */
const TIMED = [
  '%%tgraph --budget 0.2',
  'import pytensor.tensor as T',
  'from pytensor import function',
  "x = T.dmatrix('x')",
  's = 1 / (1 + T.exp(-x))',
  'logistic = function([x], s)'
].join('\n');

/** WCAG AA for text. */
const AA = 4.5;

test('the widget follows the dark theme and the panel opens from the keyboard', async ({
  page
}) => {
  await notebookWith(page, 'theme.ipynb', [TIMED]);
  const widget = widgetOf(page, 1);
  const canvas = widget.locator('.tg-graph').first();
  await expect(canvas.locator('svg g.node').first()).toBeVisible();
  const cell = widget.locator(`${TIMING_ROWS} td`).first();
  await expect(cell).toBeVisible();
  const light = await canvas.evaluate(e => getComputedStyle(e).backgroundColor);
  await page.theme.setDarkTheme();
  await expect
    .poll(async () => luminance(await canvas.evaluate(e => getComputedStyle(e).backgroundColor)))
    .toBeLessThan(0.05);
  expect(luminance(light)).toBeGreaterThan(0.9);

  // canvas, a node label and a timing cell: text readable on what is behind it
  expect(await textContrast(canvas)).toBeGreaterThanOrEqual(AA);
  for (const kind of ['tg-op', 'tg-input', 'tg-output']) {
    const node = canvas.locator(`svg g.node.${kind}`).first();
    expect(await labelContrast(node), kind).toBeGreaterThanOrEqual(AA);
  }
  expect(await textContrast(cell)).toBeGreaterThanOrEqual(AA);
  await widget.screenshot({
    path: screenshotPath('widget-dark.png')
  });

  await page.sidebar.openTab('jupyter-tgraph-panel');
  const row = page.locator('#jupyter-tgraph-panel .tg-panel-row').first();
  await expect(row).toHaveAttribute('tabindex', '0');
  await row.press('Enter');
  await expect(page.locator('.tg-document .tg-graph svg g.node').first()).toBeVisible();
});
