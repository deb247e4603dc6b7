/**
 * The timing panel in JupyterLab: the row the widget asks for by itself once
 * on screen, Run, and the profile heat map.
 */
import { expect, test } from '@jupyterlab/galata';

import { TIMING_ROWS, notebookWith, screenshotPath, widgetOf } from './helpers';

// The cell imports PyTensor itself: tgraph still records `function` from there on.
const TIMED = [
  '%%tgraph --budget 0.2',
  'import pytensor.tensor as T',
  'from pytensor import function',
  "x = T.dmatrix('x')",
  'f = function([x], T.exp(x).sum() + T.log1p(x).mean(), mode="CVM")'
].join('\n');

test('Run adds a row over the comm and the profile colours the optimized graph', async ({
  page
}) => {
  await notebookWith(page, 'timing.ipynb', [TIMED]);
  const widget = widgetOf(page, 1);
  const rows = widget.locator(TIMING_ROWS);
  await expect(rows).toHaveCount(1);
  await expect(rows.first()).toHaveAttribute('data-device', 'cpu:0');
  // the device toggle works once the kernel has looked for devices
  await expect(widget.locator('.tg-timing-looking')).toBeHidden();
  const gpu = widget.locator('.tg-device[data-device=gpu]');
  if (await gpu.isDisabled()) {
    await expect(gpu).toHaveAttribute('title', /^no GPU: /);
  }

  await widget.locator('.tg-size').fill('20');
  await widget.locator('.tg-run').click();
  await expect(rows).toHaveCount(2);
  await expect(widget.locator('.tg-timing-signature')).toContainText('float64[20, 20]');

  await widget.locator('.tg-profile-run').click();
  await expect(widget.locator('.tg-profile-table tbody tr').first()).toBeVisible();
  await widget.locator('.tg-tab[data-view=optimized]').click();
  const optimized = widget.locator('.tg-panel[data-view=optimized]');
  await expect(optimized.locator('.tg-graph svg g.tg-heat').first()).toBeVisible();
});

test('toggling the device re-times on it and the table grows', async ({ page }) => {
  const jaxCell = [
    '%%tgraph --budget 0.2',
    'import jax',
    'import jax.numpy as jnp',
    'step = jax.jit(lambda w, x: jnp.tanh(x @ w).sum())',
    'step(jnp.ones((64, 64)), jnp.ones((8, 64)))'
  ].join('\n');
  await notebookWith(page, 'devices.ipynb', [jaxCell]);
  const widget = widgetOf(page, 1);
  const rows = widget.locator(TIMING_ROWS);
  await expect(rows).toHaveCount(1);
  await expect(rows.first()).toHaveAttribute('data-device', 'cpu:0');

  await widget.locator('.tg-device[data-device="cpu:1"]').click();
  await widget.locator('.tg-run').click();
  await expect(rows).toHaveCount(2);
  await expect(rows.nth(1)).toHaveAttribute('data-device', 'cpu:1');
  await widget.screenshot({
    path: screenshotPath('widget-timing.png')
  });
});

test('Stop ends a long run, and the row keeps what was measured', async ({ page }) => {
  // every call sleeps 50 ms on the host; a program with a callback runs at most
  // 100 times when Run times it anyway: 5 seconds
  const slowCell = [
    '%%tgraph --budget 60 --no-run',
    'import time',
    'import jax',
    'import jax.numpy as jnp',
    'nap = lambda a: (time.sleep(0.05), a)[1]',
    'slow = jax.jit(lambda a: jax.pure_callback(nap, jax.ShapeDtypeStruct(a.shape, a.dtype), a))',
    'slow(jnp.ones(3))'
  ].join('\n');
  await notebookWith(page, 'stop.ipynb', [slowCell]);
  const widget = widgetOf(page, 1);
  await widget.locator('.tg-run').click();
  const stop = widget.locator('.tg-timing-stop');
  await expect(stop).toHaveText('Stop');
  await expect(widget.locator('.tg-timing-running')).toBeVisible();
  await page.waitForTimeout(2000); // some repeats measured
  await stop.click();
  const rows = widget.locator(TIMING_ROWS);
  await expect(rows).toHaveCount(1, { timeout: 20_000 });
  await expect(rows.first()).toContainText('(stopped)');
  await expect(stop).toBeHidden();
});

test('a program with a callback is not timed by itself, the panel says why, Run times it anyway', async ({
  page
}) => {
  const callbackCell = [
    '%%tgraph --budget 0.2',
    'import jax',
    'import jax.numpy as jnp',
    'import numpy as np',
    'calls = []',
    'host = lambda a: (calls.append(1), np.sin(a))[1]',
    'g = jax.jit(lambda a: jax.pure_callback(host, jax.ShapeDtypeStruct(a.shape, a.dtype), a).sum())',
    'g(jnp.ones(3))'
  ].join('\n');
  await notebookWith(page, 'callback.ipynb', [callbackCell]);
  const widget = widgetOf(page, 1);
  const message = widget.locator('.tg-timing-message');
  await expect(message).toHaveText(
    'not timed by itself: g calls back into Python (jax.pure_callback). ' +
      'Run times it anyway and runs it about 100 times'
  );
  const rows = widget.locator(TIMING_ROWS);
  await expect(rows).toHaveCount(0);
  await widget.locator('.tg-run').click();
  await expect(rows).toHaveCount(1);
  await expect(message).toBeHidden();
});
