/**
 * Notebook 7 loads JupyterLab extensions but has no JupyterLab shell: the
 * inline widget must render there, and the side panel must stay out of the
 * way without an error.
 */
import { expect, test } from '@playwright/test';

import { LOGISTIC } from './helpers';

const NAME = 'notebook7.ipynb';

test('the inline widget renders in Notebook 7 without errors', async ({ page, request }) => {
  const cells = ['%load_ext tgraph', LOGISTIC].map(source => ({
    cell_type: 'code',
    source,
    metadata: {},
    outputs: [],
    execution_count: null
  }));
  const kernelspec = { name: 'python3', display_name: 'Python 3', language: 'python' };
  const content = { cells, metadata: { kernelspec }, nbformat: 4, nbformat_minor: 5 };
  const put = await request.put(`/api/contents/${NAME}`, {
    data: { type: 'notebook', format: 'json', content }
  });
  expect(put.ok()).toBe(true);

  const errors: string[] = [];
  page.on('console', message => {
    if (message.type() === 'error' && /tgraph/i.test(message.text())) {
      errors.push(message.text());
    }
  });
  await page.goto(`/notebooks/${NAME}`);
  await expect(page.locator('.jp-Notebook .jp-Cell').nth(1)).toBeVisible();
  // Run all cells from the menu once the kernel is there, as a user would.
  await expect(page.getByRole('button', { name: 'Python 3 (ipykernel)' })).toBeVisible();
  await page.getByRole('menuitem', { name: 'Run', exact: true }).click();
  await page.getByRole('menuitem', { name: 'Run All Cells', exact: true }).click();

  const widget = page.locator('.jp-Cell').nth(1).locator('.tg-root');
  await expect(widget.locator('.tg-graph svg g.node').first()).toBeVisible();
  await widget.locator('.tg-tab[data-view=optimized]').click();
  await expect(
    widget.locator('.tg-panel[data-view=optimized] .tg-graph svg g.node', { hasText: /sigmoid/i })
  ).toHaveCount(1);
  expect(errors).toEqual([]);
});
