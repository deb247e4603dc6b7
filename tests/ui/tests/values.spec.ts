/** Values on the graph: a node's value in the inspector, and the first NaN selected. */
import { expect, test } from '@jupyterlab/galata';

import { notebookWith, screenshotPath, widgetOf } from './helpers';

const NAN = [
  '%%tgraph --no-run',
  'import pytensor',
  'import pytensor.tensor as T',
  "v = T.dvector('v')",
  'total = T.sum(T.sqrt(v - 1) * T.exp(v))',
  'f = pytensor.function([v], total)',
  'f([0.5, 2, 3])'
].join('\n');

test('a node shows its min and max; the NaN button selects the sqrt', async ({ page }) => {
  await notebookWith(page, 'values.ipynb', [NAN]);
  const widget = widgetOf(page, 1);
  const original = widget.locator('.tg-panel[data-view=original]');
  await expect(original.locator('.tg-graph svg g.node').first()).toBeVisible();

  await original.locator('.tg-values-toggle').click();
  await expect(original.locator('.tg-values-status')).toContainText("the cell's inputs");
  const sub = original.locator('.tg-graph svg g.node', { hasText: /^\s*sub\s*$/ });
  await sub.click();
  const rows = original.locator('.tg-inspector .tg-values');
  await expect(rows.locator('dt', { hasText: 'min' }).locator('+ dd')).toHaveText('-0.5');
  await expect(rows.locator('dt', { hasText: 'max' }).locator('+ dd')).toHaveText('2');

  await original.locator('.tg-nonfinite').click();
  const selected = original.locator('.tg-graph svg g.node.tg-selected');
  await expect(selected).toHaveCount(1);
  await expect(selected).toContainText('sqrt');
  await expect(selected).toHaveClass(/tg-nonfinite-node/);
  await expect(original.locator('.tg-values-status')).toContainText(
    'sqrt is the first node with a non-finite value (1 NaN); its input sub was finite'
  );
  await expect(rows.locator('dt', { hasText: 'NaN' }).locator('+ dd')).toHaveText('1');
  await widget.screenshot({ path: screenshotPath('values-first-nan.png') });
});

test('a value computed from constants alone is marked constant and is no first NaN', async ({
  page
}) => {
  const floor = [
    '%%tgraph --no-run',
    'import numpy as np',
    'import pytensor',
    'import pytensor.tensor as T',
    "v = T.dvector('v')",
    'floor = T.full((3,), -np.inf)',
    'out = T.maximum(v, floor).sum()',
    'f = pytensor.function([v], out)',
    'f([1.0, 2.0, 3.0])'
  ].join('\n');
  await notebookWith(page, 'constant.ipynb', [floor]);
  const widget = widgetOf(page, 1);
  const original = widget.locator('.tg-panel[data-view=original]');
  await expect(original.locator('.tg-graph svg g.node').first()).toBeVisible();
  await original.locator('.tg-values-toggle').click();
  await expect(original.locator('.tg-values-status')).toContainText("the cell's inputs");
  await expect(original.locator('.tg-nonfinite')).toBeDisabled();
  await original.locator('.tg-graph svg g.node', { hasText: /^\s*Alloc\s*$/ }).click();
  const rows = original.locator('.tg-inspector .tg-values');
  await expect(rows.locator('dt', { hasText: 'inf' }).locator('+ dd')).toHaveText('3');
  await expect(rows.locator('dt', { hasText: 'constant' }).locator('+ dd')).toHaveText(
    'computed from constants alone: not a first NaN/inf'
  );
});
