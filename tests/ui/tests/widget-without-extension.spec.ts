/**
 * VS Code never loads JupyterLab extensions: this server runs with
 * jupyter-tgraph's disabled, and the inline widget must still render.
 */
import { expect, test } from '@jupyterlab/galata';

import { LOGISTIC, notebookWith, widgetOf } from './helpers';

test('the inline widget renders without the JupyterLab extension', async ({ page }) => {
  const plugins = await page.evaluate(() =>
    (window as unknown as { jupyterapp: { hasPlugin(id: string): boolean } }).jupyterapp.hasPlugin(
      'jupyter-tgraph:plugin'
    )
  );
  expect(plugins).toBe(false);
  await expect(page.locator('#jupyter-tgraph-panel')).toHaveCount(0);

  await notebookWith(page, 'no-extension.ipynb', [LOGISTIC]);
  const widget = widgetOf(page, 1);
  await expect(widget.locator('.tg-graph svg g.node').first()).toBeVisible();
  await widget.locator('.tg-tab[data-view=gradient]').click();
  await expect(
    widget.locator('.tg-panel[data-view=gradient] .tg-graph svg g.node').first()
  ).toBeVisible();
});
