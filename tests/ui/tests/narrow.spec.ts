/** The inspector beside the graph where there is room, else full width under it. */
import { expect, test } from '@jupyterlab/galata';

import { LOGISTIC, notebookWith, widgetOf } from './helpers';

test('a narrow output puts the inspector under the graph, full width', async ({ page }) => {
  await notebookWith(page, 'narrow.ipynb', [LOGISTIC]);
  const widget = widgetOf(page, 1);
  const canvas = widget.locator('.tg-graph').first();
  const inspector = widget.locator('.tg-inspector').first();
  await expect(canvas.locator('svg g.node').first()).toBeVisible();

  const wide = {
    graph: (await canvas.boundingBox())!,
    inspector: (await inspector.boundingBox())!
  };
  expect(wide.inspector.x).toBeGreaterThan(wide.graph.x + wide.graph.width - 1); // beside
  expect(wide.inspector.width).toBeLessThan(wide.graph.width);

  await page.setViewportSize({ width: 700, height: 1000 });
  await expect
    .poll(async () => (await inspector.boundingBox())!.y)
    .toBeGreaterThan((await canvas.boundingBox())!.y + 100);
  const graph = (await canvas.boundingBox())!;
  const below = (await inspector.boundingBox())!;
  expect(below.y).toBeGreaterThanOrEqual(graph.y + graph.height - 1); // under it
  expect(Math.abs(below.width - graph.width)).toBeLessThan(2); // as wide as the graph
});
