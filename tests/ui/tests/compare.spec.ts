/**
 * Comparing two training steps in the panel's full-size view: one step
 * function, run with 4 layers and with 2. The passes pair, the folded layers
 * pair with each other and say their count changed, and opening a group on
 * one side opens its pair on the other.
 */
import { expect, test } from '@jupyterlab/galata';

import { runNotebookFile, screenshotPath } from './helpers';

const DEFINITIONS = [
  'import jax',
  'import jax.numpy as jnp',
  '',
  'D, T, V = 8, 4, 16',
  '',
  'def rms(x, g):',
  '    return x * jax.lax.rsqrt(jnp.mean(x * x, axis=-1, keepdims=True) + 1e-6) * g',
  '',
  'def block(x, p):',
  '    return x + jnp.tanh(rms(x, p["g"]) @ p["w"])',
  '',
  'def loss(params, tok):',
  '    x = params["emb"][tok]',
  '    for p in params["layers"]:',
  '        x = block(x, p)',
  '    return jnp.mean(x ** 2)',
  '',
  '@jax.jit',
  'def step(params, tok):',
  '    l, g = jax.value_and_grad(loss)(params, tok)',
  '    return l, jax.tree_util.tree_map(lambda a, b: a - 0.01 * b, params, g)',
  '',
  'def init(layers):',
  '    keys = jax.random.split(jax.random.PRNGKey(0), layers + 1)',
  '    layer = lambda k: dict(g=jnp.ones(D), w=jax.random.normal(k, (D, D)) * 0.1)',
  '    return dict(emb=jax.random.normal(keys[0], (V, D)), layers=[layer(k) for k in keys[1:]])',
  '',
  'tok = jnp.arange(T) % V'
].join('\n');

const run = (layers: number) =>
  [
    '%%tgraph --no-run',
    `params${layers} = init(${layers})`,
    `l${layers}, params${layers} = step(params${layers}, tok)`
  ].join('\n');

test('two training steps compare pass by pass, their layer counts marked', async ({
  page,
  tmpPath
}) => {
  const name = 'steps.ipynb';
  const cells = ['%load_ext tgraph', DEFINITIONS, run(4), run(2)];
  await runNotebookFile(page, tmpPath, name, cells);
  await page.sidebar.openTab('jupyter-tgraph-panel');
  const rows = page.locator('#jupyter-tgraph-panel .tg-panel-row');
  await expect(rows).toHaveCount(2);

  // the 4-layer step at full size, compared with the 2-layer one
  await rows.filter({ hasText: '[3]' }).click();
  const doc = page.locator('.tg-document');
  await expect(doc.locator('.tg-graph svg g.node').first()).toBeVisible();
  await doc.locator('.tg-tab[data-view=compare]').click();
  const pick = doc.locator('.tg-compare-pick').nth(1);
  await pick.selectOption({ label: 'step [4]: Original' });
  const left = doc.locator('.tg-view:not(.tg-compare-right)');
  const right = doc.locator('.tg-compare-right');
  await expect(doc.locator('.tg-compare-summary')).toContainText('groups paired');

  // the passes pair: selecting forward on the left selects forward on the right
  const pass = (side: typeof left, label: string) =>
    side.locator('.tg-graph svg g.tg-subgraph', { hasText: new RegExp(`^\\s*${label} ·`) });
  await expect(pass(left, 'forward')).toHaveCount(1);
  await expect(pass(right, 'forward')).toHaveCount(1);
  await expect(pass(left, 'backward')).not.toHaveClass(/tg-only/);

  // the layers changed: named in the bar, the folded blocks marked on both sides
  const change = doc.locator('.tg-compare-change', { hasText: 'block ×4 ↔ block ×2 in forward' });
  await expect(change).toHaveCount(1);
  await change.click();
  // choosing it selects the fold on the left, and its pair on the right
  await expect(left.locator('.tg-crumb')).toHaveText(['forward', 'loss', 'block ×4']);
  await expect(right.locator('.tg-crumb')).toHaveText(['forward', 'loss', 'block ×2']);

  // opening forward on the left opens forward on the right
  await pass(left, 'forward').click();
  const open = (side: typeof left, label: string) =>
    side.locator('.tg-graph svg g.cluster', { hasText: new RegExp(`^\\s*${label}\\b`) });
  await expect(open(left, 'forward')).toHaveCount(1);
  await expect(open(right, 'forward')).toHaveCount(1);
  const loss = (side: typeof left) =>
    side.locator('.tg-graph svg g.tg-subgraph', { hasText: /^\s*loss ·/ });
  await expect(loss(right)).toHaveCount(1);
  await loss(left).click();
  await expect(open(right, 'loss')).toHaveCount(1);
  const fold = (side: typeof left, count: number) =>
    side.locator('.tg-graph svg g.tg-subgraph', { hasText: `block ×${count}` });
  await expect(fold(left, 4)).toHaveClass(/tg-changed/);
  await expect(fold(right, 2)).toHaveClass(/tg-changed/);
  await expect(fold(left, 4)).not.toHaveClass(/tg-only/);
  await page
    .locator('.tg-document')
    .screenshot({ path: screenshotPath('panel-compare-steps.png') });
});
