/** A PyTensor training step written as most code is: a layer function in one cell, the model in the next, a training loop after. */
import { expect, test } from '@jupyterlab/galata';

import { runNotebookFile, screenshotPath, widgetOf } from './helpers';

const HELPERS = [
  'import numpy as np',
  'import pytensor',
  'import pytensor.tensor as pt',
  '',
  'def dense(h, W, b):',
  '    return pt.tanh(h @ W + b)',
  '',
  'rng = np.random.default_rng(0)',
  'params = []',
  'for i in range(4):',
  '    W = pytensor.shared(rng.normal(size=(4, 4)), name=f"W{i}")',
  '    params.append((W, pytensor.shared(np.zeros(4), name=f"b{i}")))'
].join('\n');

const MODEL = [
  '%%tgraph --no-run',
  'x, y = pt.dmatrix("x"), pt.dmatrix("y")',
  'h = x',
  'for W, b in params:',
  '    h = dense(h, W, b)',
  'loss = ((h - y) ** 2).mean()',
  'flat = [p for pair in params for p in pair]',
  'steps = [(p, p - 0.1 * g) for p, g in zip(flat, pytensor.grad(loss, flat))]',
  'train = pytensor.function([x, y], loss, updates=steps)'
].join('\n');

const LOOP = [
  'X, Y = rng.normal(size=(8, 4)), rng.normal(size=(8, 4))',
  'for epoch in range(5):',
  '    last = train(X, Y)'
].join('\n');

test('a PyTensor training step opens on forward, backward and update, as written and compiled', async ({
  page,
  tmpPath
}) => {
  await runNotebookFile(page, tmpPath, 'train.ipynb', ['%load_ext tgraph', HELPERS, MODEL, LOOP]);
  const widget = widgetOf(page, 2);
  for (const view of ['original', 'optimized']) {
    await widget.locator(`.tg-tab[data-view=${view}]`).click();
    const panel = widget.locator(`.tg-panel[data-view=${view}]`);
    const svg = panel.locator('.tg-graph svg');
    for (const pass of ['forward', 'backward', 'update']) {
      await expect(
        svg.locator('g.tg-subgraph', { hasText: new RegExp(`^\\s*${pass}`) })
      ).toHaveCount(1);
    }
    // the backward pass opens on the four layers it differentiates, folded
    await svg.locator('g.tg-subgraph', { hasText: /^\s*backward/ }).click();
    await expect(svg.locator('g.tg-subgraph', { hasText: 'dense ×4' })).toHaveCount(1);
    await svg.locator('g.tg-subgraph', { hasText: 'dense ×4' }).click();
    await expect(svg.locator('g.tg-subgraph', { hasText: 'dense [3]' })).toHaveCount(1);
    if (view === 'optimized') {
      await panel.screenshot({ path: screenshotPath('pytensor-training-optimized.png') });
    }
  }
  // the rewrite stepper, in the panel's full-size view, draws each step in the same passes
  await page.sidebar.openTab('jupyter-tgraph-panel');
  await page.locator('#jupyter-tgraph-panel .tg-panel-row', { hasText: 'train' }).click();
  const doc = page.locator('.tg-document');
  await doc.locator('.tg-tab[data-view=steps]').click();
  await expect(doc.locator('.tg-step-label')).toContainText('Step 0 of');
  const passes = doc.locator('.tg-graph svg g.tg-subgraph', {
    hasText: /^\s*(forward|backward|update)/
  });
  await expect(passes).toHaveCount(3);
  await doc.locator('.tg-step-next').click();
  await expect(doc.locator('.tg-step-label')).toContainText('Step 1 of');
  await expect(passes).toHaveCount(3);
});
