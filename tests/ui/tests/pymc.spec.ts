/** A PyMC model: the data in one cell, the model in the next; its logp opens on one box per variable. */
import { expect, test } from '@jupyterlab/galata';
import type { Locator } from '@playwright/test';

import { runNotebookFile, widgetOf } from './helpers';

const DATA = [
  'import numpy as np',
  'import pymc as pm',
  'x = np.linspace(0, 1, 20)',
  'y = 1 + 2 * x + np.random.default_rng(0).normal(0, 0.1, 20)'
].join('\n');

const MODEL = [
  '%%tgraph --no-run',
  'with pm.Model() as model:',
  '    alpha = pm.Normal("alpha", 0, 10)',
  '    beta = pm.Normal("beta", 0, 10)',
  '    sigma = pm.HalfNormal("sigma", 1)',
  '    mu = pm.Deterministic("mu", alpha + beta * x)',
  '    obs = pm.Normal("obs", mu, sigma, observed=y)'
].join('\n');

test('a PyMC model opens on its terms, the Deterministic inside the term that uses it', async ({
  page,
  tmpPath
}) => {
  await runNotebookFile(page, tmpPath, 'model.ipynb', ['%load_ext tgraph', DATA, MODEL]);
  const widget = widgetOf(page, 2);
  const box = (svg: Locator, name: string) =>
    svg.locator('g.tg-subgraph', { hasText: new RegExp(`^\\s*${name}\\b`) });
  const original = widget.locator('.tg-panel[data-view=original] .tg-graph svg');
  for (const name of ['alpha', 'beta', 'sigma', 'obs']) {
    await expect(box(original, name)).toHaveCount(1);
  }
  await expect(box(original, 'mu')).toHaveCount(0); // inside obs, closed
  await box(original, 'obs').click();
  await expect(box(original, 'mu')).toHaveCount(1);
  // compiled, the likelihood's fused sum still sits in the obs box
  await widget.locator('.tg-tab[data-view=optimized]').click();
  const optimized = widget.locator('.tg-panel[data-view=optimized] .tg-graph svg');
  await expect(box(optimized, 'obs')).toHaveCount(1);
  await box(optimized, 'obs').click();
  await expect(optimized.locator('g.tg-subgraph', { hasText: /FusedElemwise/ })).toHaveCount(1);
});
