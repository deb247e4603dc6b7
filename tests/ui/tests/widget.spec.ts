/** The inline widget in JupyterLab: pictures, tabs, the inspector and search. */
import { expect, test } from '@jupyterlab/galata';

import { LOGISTIC, notebookWith, screenshotPath, widgetOf } from './helpers';

test('a %%tgraph cell shows its graphs and a node can be inspected', async ({ page }) => {
  await notebookWith(page, 'widget.ipynb', [LOGISTIC]);
  const widget = widgetOf(page, 1);
  await expect(widget.locator('.tg-graph svg g.node').first()).toBeVisible();

  await widget.locator('.tg-tab[data-view=optimized]').click();
  await expect(widget.locator('.tg-tab[data-view=optimized]')).toHaveAttribute(
    'aria-selected',
    'true'
  );
  const optimized = widget.locator('.tg-panel[data-view=optimized]');
  const sigmoid = optimized.locator('.tg-graph svg g.node', { hasText: /sigmoid/i });
  await expect(sigmoid).toHaveCount(1);
  await sigmoid.click();
  await expect(optimized.locator('.tg-inspector')).toContainText(/sigmoid/i);

  await widget.screenshot({
    path: screenshotPath('widget-optimized.png')
  });
  await optimized.locator('.tg-search').fill('sigmoid');
  await expect(optimized.locator('.tg-search-status')).toContainText('1');

  await widget.locator('.tg-tab[data-view=rewrites]').click();
  await expect(widget.locator('.tg-rewrites li.tg-rewrite').first()).toBeVisible();
  await expect(widget.locator('.tg-rewrites[data-view=optimized]')).toContainText(
    /local_exp_over_1_plus_exp/
  );
});

test('names are shown as text, never as markup', async ({ page }) => {
  const hostile = '<img src=x onerror="window.pwned=1"> & "引号" 张量';
  const cell = [
    '%%tgraph --no-run',
    'import pytensor.tensor as T',
    `x = T.dvector(${JSON.stringify(hostile)})`,
    'y = T.exp(x)'
  ].join('\n');
  await notebookWith(page, 'names.ipynb', [cell]);
  const widget = widgetOf(page, 1);
  const input = widget.locator('.tg-graph svg g.node.tg-input').first();
  await expect(input).toContainText('张量');
  await input.click();
  await expect(widget.locator('.tg-inspector')).toContainText(hostile);
  await expect(page.locator('img[src=x]')).toHaveCount(0);
  expect(
    await page.evaluate(() => (window as unknown as { pwned?: number }).pwned)
  ).toBeUndefined();
});
