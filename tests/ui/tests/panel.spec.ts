/**
 * The side panel: every graph of the kernel, opened at full size, stepped
 * through and compared; emptied by a kernel restart and refilled after it.
 * Screenshots of the panel land in tests/ui/screenshots/.
 */
import { expect, test as base } from '@jupyterlab/galata';
import type { Download } from '@playwright/test';
import * as fs from 'fs';

import { LOG1P, LOGISTIC, notebookWith, screenshotPath } from './helpers';

// Galata's default kernel tracker answers restarts in a way that leaves
// JupyterLab "Restarting" forever: let the real server handle kernels.
const test = base.extend({
  // eslint-disable-next-line no-empty-pattern
  kernels: async ({}, use) => {
    await use(null);
  }
});

async function readDownload(download: Download): Promise<string> {
  const file = await download.path();
  return fs.readFileSync(file, 'utf-8');
}

const GRADIENT = [
  '%%tgraph --no-run',
  'grad_logistic = function([x], T.grad(T.sum(1 / (1 + T.exp(-x))), x))'
].join('\n');

test('the panel lists, opens, steps, compares and survives a restart', async ({ page }) => {
  await page.sidebar.openTab('jupyter-tgraph-panel');
  const panel = page.locator('#jupyter-tgraph-panel');
  await notebookWith(page, 'panel.ipynb', [LOGISTIC, LOG1P, GRADIENT]);

  const rows = panel.locator('.tg-panel-row');
  await expect(rows).toHaveCount(3);
  await expect(rows.first()).toContainText('grad_logistic');
  await panel.screenshot({ path: screenshotPath('panel-list.png') });

  // Open the gradient at full size, search, and expand the fused loop.
  await rows.first().click();
  const doc = page.locator('.tg-document');
  await expect(doc.locator('.tg-graph svg g.node').first()).toBeVisible();
  await doc.locator('.tg-tab[data-view=optimized]').click();
  const composite = doc.locator('.tg-graph svg g.tg-subgraph').first();
  await expect(composite).toBeVisible();
  const before = await doc.locator('.tg-graph svg g.node').count();
  await composite.click();
  await expect(doc.locator('.tg-graph svg g.cluster.tg-cluster')).toHaveCount(1);
  expect(await doc.locator('.tg-graph svg g.node').count()).toBeGreaterThan(before);
  await doc.locator('.tg-search').fill('sigmoid');
  await expect(doc.locator('.tg-graph svg g.tg-match').first()).toBeVisible();

  // The inspector's source line scrolls the notebook to the cell that made the node.
  await doc.locator('.tg-tab[data-view=original]').click();
  await doc
    .locator('.tg-graph svg g.node', { hasText: /^\s*add/ })
    .first()
    .click();
  await doc.locator('.tg-goto').click();
  await expect(page.locator('.jp-Notebook .jp-Cell.jp-mod-active')).toContainText(
    'grad_logistic = function'
  );

  // Export: the Graphviz source and the JSON graph format.
  const [dot] = await Promise.all([
    page.waitForEvent('download'),
    doc.locator('.tg-export[data-format=dot]').click()
  ]);
  expect(await readDownload(dot)).toMatch(/^digraph/);
  const [json] = await Promise.all([
    page.waitForEvent('download'),
    doc.locator('.tg-export[data-format=json]').click()
  ]);
  const exported = JSON.parse(await readDownload(json));
  expect(exported.graph.nodes.map((n: { label: string }) => n.label)).toContain('exp');

  // Step through the rewrites: the highlighted nodes move from step to step.
  await doc.locator('.tg-tab[data-view=steps]').click();
  await expect(doc.locator('.tg-step-label')).toContainText('Step 0');
  const created = doc.locator('.tg-graph svg g.tg-step-created');
  const highlighted = () => created.evaluateAll(gs => gs.map(g => g.id).join());
  const seen: string[] = [];
  for (let step = 1; step <= 8 && new Set(seen.filter(Boolean)).size < 2; step++) {
    await doc.locator('.tg-step-next').click();
    await expect(doc.locator('.tg-step-label')).toContainText(`Step ${step} of`);
    await expect(doc.locator('.tg-step-label')).toContainText(/replaced/);
    seen.push(await highlighted());
  }
  // Some step created nodes, and a later one created other nodes.
  expect(new Set(seen.filter(Boolean)).size).toBeGreaterThanOrEqual(2);
  await page.locator('.tg-document').screenshot({ path: screenshotPath('panel-stepper.png') });

  // Original against optimized, side by side, unpaired nodes marked.
  await doc.locator('.tg-tab[data-view=compare]').click();
  await expect(doc.locator('.tg-view')).toHaveCount(2);
  await expect(doc.locator('.tg-compare-summary')).toContainText('paired');
  await expect(doc.locator('.tg-graph svg g.tg-only').first()).toBeVisible();
  // Either side can be opened and closed; the one-sided marks survive it.
  const right = doc.locator('.tg-compare-right');
  await right.locator('.tg-fit').click();
  await right.locator('.tg-graph svg g.cluster.tg-cluster text').first().click();
  await right.locator('.tg-collapse').press('Enter');
  await expect(right.locator('.tg-graph svg g.cluster')).toHaveCount(0);
  await expect(right.locator('.tg-graph svg g.tg-subgraph')).toHaveCount(1);
  await expect(right.locator('.tg-graph svg g.tg-only').first()).toBeVisible();
  await page.locator('.tg-document').screenshot({ path: screenshotPath('panel-compare.png') });

  // A restart empties the list; running the cells again refills it.
  await page.activity.activateTab('panel.ipynb');
  await page.menu.clickMenuItem('Kernel>Restart Kernel…');
  await page.locator('.jp-Dialog .jp-mod-accept').click();
  await expect(rows).toHaveCount(0);
  await expect(panel.locator('.tg-panel-status')).toHaveText('%load_ext tgraph');
  await page.notebook.run();
  await expect(rows).toHaveCount(3);
});
