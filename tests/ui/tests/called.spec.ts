/** Programs defined in earlier cells are shown when a later cell calls them; %tgraph on. */
import { expect, test } from '@jupyterlab/galata';

import { notebookWith, widgetOf } from './helpers';

const DEFINE = [
  'import jax',
  'import jax.numpy as jnp',
  '@jax.jit',
  'def f(x):',
  '    return jnp.sin(x) * 2.0'
].join('\n');

const LOOP = ['%%tgraph --no-run', 'for i in range(20):', '    y = f(jnp.ones(i % 3 + 2))'].join(
  '\n'
);

test('a loop over a function defined earlier shows one graph, called 20 times', async ({
  page
}) => {
  await notebookWith(page, 'called.ipynb', [
    DEFINE,
    LOOP,
    '%tgraph on --no-run',
    'z = f(jnp.ones((2, 2)))',
    'w = 1 + 2'
  ]);
  const loop = widgetOf(page, 2);
  await expect(loop.locator('.tg-notes')).toContainText(
    'called 20 times in this cell: drawn for its last call, f(f32[3])'
  );
  await expect(loop.locator('.tg-panel[data-view=original] .tg-graph svg')).toBeVisible();
  await expect(page.locator('.jp-Notebook .jp-Cell').nth(2).locator('.tg-root')).toHaveCount(1);
  // %tgraph on: the next cell is traced without a magic line; a cell with nothing stays silent
  const traced = widgetOf(page, 4);
  await expect(traced.locator('.tg-notes')).toContainText('traced as f(f32[2,2])');
  const silent = page.locator('.jp-Notebook .jp-Cell').nth(5);
  await expect(silent.locator('.jp-OutputArea-output')).toHaveCount(0);
  await expect(silent.locator('.tg-root')).toHaveCount(0);
});
