/** A JAX program with functions and a loop: groups, folds and search inside them. */
import { expect, test } from '@jupyterlab/galata';

import { runNotebookFile, screenshotPath, widgetOf } from './helpers';

/** A node labelled rsqrt (Graphviz puts line breaks around a label's text). */
const RSQRT = /^\s*rsqrt\s*$/;

const LAYERS = [
  '%%tgraph --no-run',
  'import jax',
  'import jax.numpy as jnp',
  '',
  'def rms(x):',
  '    return x * jax.lax.rsqrt(jnp.mean(x * x) + 1e-6)',
  '',
  'def block(x):',
  '    return jnp.tanh(rms(x)) + x',
  '',
  '@jax.jit',
  'def net(x):',
  '    for _ in range(3):',
  '        x = block(x)',
  '    return x',
  '',
  'y = net(jnp.ones(4))'
].join('\n');

test('search finds an op inside closed groups and opens its path', async ({ page, tmpPath }) => {
  const name = 'structure.ipynb';
  await runNotebookFile(page, tmpPath, name, ['%load_ext tgraph', LAYERS]);
  const widget = widgetOf(page, 1);
  const original = widget.locator('.tg-panel[data-view=original]');
  const svg = original.locator('.tg-graph svg');
  // three calls of block, folded into one stacked box
  const fold = svg.locator('g.tg-subgraph', { hasText: 'block ×3' });
  await expect(fold).toHaveCount(1);
  await expect(svg.locator('g.node', { hasText: RSQRT })).toHaveCount(0);

  await original.locator('.tg-search').fill('rsqrt');
  await expect(original.locator('.tg-search-status')).toHaveText('0 / 3');
  await expect(fold).toHaveClass(/tg-match/);
  await original.locator('.tg-search').press('Enter');

  // the fold, the first block and its rms opened; the op itself is current
  const found = svg.locator('g.node.tg-current', { hasText: RSQRT });
  await expect(found).toHaveCount(1);
  await expect(svg.locator('g.cluster', { hasText: 'block ×3' })).toHaveCount(1);
  await expect(original.locator('.tg-search-status')).toHaveText('1 / 3');
  await expect(original.locator('.tg-crumb')).toHaveText(['block ×3', 'block [0]', 'rms', 'rsqrt']);
  await expect(original.locator('.tg-inspector')).toContainText('rsqrt');

  // zoomed far out, edge labels and cluster titles hide instead of shrinking
  const title = svg.locator('g.cluster > text', { hasText: 'block ×3' });
  await expect(title).toBeVisible();
  for (let i = 0; i < 12; i++) {
    await original.locator('.tg-zoom-out').click();
  }
  await expect(original.locator('.tg-graph')).toHaveClass(/tg-far/);
  await expect(title).toBeHidden();
  await original.locator('.tg-fit').click();
  await original.locator('.tg-zoom-in').click();
  await expect(title).toBeVisible();
});

test('focus shows one group alone, and Whole graph brings the rest back', async ({
  page,
  tmpPath
}) => {
  const name = 'focus.ipynb';
  await runNotebookFile(page, tmpPath, name, ['%load_ext tgraph', LAYERS]);
  const original = widgetOf(page, 1).locator('.tg-panel[data-view=original]');
  const svg = original.locator('.tg-graph svg');
  // a click selects the folded layers and opens them; Focus then shows them alone
  await svg.locator('g.tg-subgraph', { hasText: 'block ×3' }).click();
  await expect(svg.locator('g.cluster', { hasText: 'block ×3' })).toHaveCount(1);
  await original.locator('.tg-inspector .tg-focus').click();
  await expect(original.locator('.tg-graph')).toHaveClass(/tg-focused/);
  await expect(svg.locator('g.node', { hasText: 'block [1]' })).toBeVisible();
  const outside = svg.locator('g.node.tg-outside');
  expect(await outside.count()).toBeGreaterThan(0);
  for (const node of await outside.all()) {
    await expect(node).toBeHidden();
  }
  await expect(original.locator('.tg-crumb')).toHaveText(['Whole graph', 'block ×3']);
  await original.screenshot({ path: screenshotPath('widget-focus.png') });
  // the inspector's names and values in two columns that do not overlap
  const term = await original.locator('.tg-details dt').first().boundingBox();
  const value = await original.locator('.tg-details dd').first().boundingBox();
  expect(term!.x + term!.width).toBeLessThanOrEqual(value!.x);

  await original.locator('.tg-crumb.tg-unfocus').click();
  await expect(original.locator('.tg-graph')).not.toHaveClass(/tg-focused/);
  await expect(svg.locator('.tg-outside')).toHaveCount(0);
  await expect(outside).toHaveCount(0);
});
