/** The dark theme, and reaching the panel with the keyboard alone. */
import { expect, test } from '@jupyterlab/galata';

import { LOGISTIC, notebookWith, screenshotPath, widgetOf } from './helpers';

/** Relative luminance (0 black, 1 white) of a CSS rgb() colour. */
function luminance(rgb: string): number {
  const [r, g, b] = (rgb.match(/\d+(\.\d+)?/g) ?? ['255', '255', '255']).map(Number);
  return (0.2126 * r + 0.7152 * g + 0.0722 * b) / 255;
}

test('the widget follows the dark theme and the panel opens from the keyboard', async ({
  page
}) => {
  await notebookWith(page, 'theme.ipynb', [LOGISTIC]);
  const widget = widgetOf(page, 1);
  const canvas = widget.locator('.tg-graph').first();
  await expect(canvas.locator('svg g.node').first()).toBeVisible();
  const light = await canvas.evaluate(e => getComputedStyle(e).backgroundColor);
  await page.theme.setDarkTheme();
  await expect
    .poll(async () => luminance(await canvas.evaluate(e => getComputedStyle(e).backgroundColor)))
    .toBeLessThan(0.3);
  expect(luminance(light)).toBeGreaterThan(0.7);
  const label = canvas.locator('svg g.node text').first();
  const ink = await label.evaluate(e => getComputedStyle(e).fill);
  expect(luminance(ink)).toBeGreaterThan(0.5);
  await widget.screenshot({
    path: screenshotPath('widget-dark.png')
  });

  await page.sidebar.openTab('jupyter-tgraph-panel');
  const row = page.locator('#jupyter-tgraph-panel .tg-panel-row').first();
  await expect(row).toHaveAttribute('tabindex', '0');
  await row.press('Enter');
  await expect(page.locator('.tg-document .tg-graph svg g.node').first()).toBeVisible();
});
