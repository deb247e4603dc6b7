/** A JAX target: XLA's compiled graph with its fusion opened in place. */
import { expect, test } from '@jupyterlab/galata';

import { notebookWith, widgetOf } from './helpers';

const JAX_LOGISTIC = [
  '%%tgraph',
  'import jax',
  'import jax.numpy as jnp',
  'logistic = jax.jit(lambda x: 1 / (1 + jnp.exp(-x)))',
  'logistic(jnp.ones((2, 2)))'
].join('\n');

test('the Optimized tab of a JAX target opens a fusion', async ({ page }) => {
  await notebookWith(page, 'jax.ipynb', [JAX_LOGISTIC]);
  const widget = widgetOf(page, 1);
  await widget.locator('.tg-tab[data-view=optimized]').click();
  const optimized = widget.locator('.tg-panel[data-view=optimized]');
  const fusion = optimized.locator('.tg-graph svg g.tg-subgraph', { hasText: /fusion/i });
  await expect(fusion.first()).toBeVisible();
  const before = await optimized.locator('.tg-graph svg g.node').count();
  await fusion.first().click();
  await expect(optimized.locator('.tg-graph svg g.cluster.tg-cluster')).toHaveCount(1);
  await expect(optimized.locator('.tg-graph svg g.node', { hasText: /exponential/ })).toHaveCount(
    1
  );
  expect(await optimized.locator('.tg-graph svg g.node').count()).toBeGreaterThan(before);
});
