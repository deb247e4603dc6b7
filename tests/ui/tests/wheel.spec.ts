/**
 * The wheel over a graph scrolls the notebook, as over any output; Ctrl +
 * wheel (or a pinch) zooms the graph, and the full-size view zooms at once.
 */
import { expect, test } from '@jupyterlab/galata';
import { Locator } from '@playwright/test';

import { LOG1P, LOGISTIC, notebookWith, widgetOf } from './helpers';

/** The SVG's viewBox: what the graph shows (it changes on zoom). */
const viewBox = (canvas: Locator) =>
  canvas.locator('svg').evaluate(svg => svg.getAttribute('viewBox'));

/** How far the notebook is scrolled: every scrolled ancestor of ``element``. */
const scrolled = (element: Locator) =>
  element.evaluate(e => {
    let total = 0;
    for (let a: Element | null = e.parentElement; a; a = a.parentElement) {
      total += a.scrollTop;
    }
    return total;
  });

test('the wheel scrolls the notebook over a graph; Ctrl + wheel zooms it', async ({ page }) => {
  await notebookWith(page, 'wheel.ipynb', [LOGISTIC, LOG1P]);
  const widget = widgetOf(page, 1);
  const canvas = widget.locator('.tg-graph').first();
  await expect(canvas.locator('svg g.node').first()).toBeVisible();
  await page.notebook.selectCells(0);
  await canvas.scrollIntoViewIfNeeded();
  const box = (await canvas.boundingBox())!;
  await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
  const before = await viewBox(canvas);
  const top = await scrolled(canvas);

  await page.mouse.wheel(0, 300);
  await expect.poll(() => scrolled(canvas)).toBeGreaterThan(top + 100);
  expect(await viewBox(canvas)).toBe(before);
  await expect(widget.locator('.tg-wheel-hint').first()).toBeVisible();

  const now = (await canvas.boundingBox())!;
  await page.mouse.move(now.x + now.width / 2, now.y + now.height / 2);
  const still = await scrolled(canvas);
  await page.keyboard.down('Control');
  await page.mouse.wheel(0, -300);
  await page.keyboard.up('Control');
  await expect.poll(() => viewBox(canvas)).not.toBe(before);
  expect(await scrolled(canvas)).toBe(still);
});

test('the full-size view in the side panel zooms with the wheel at once', async ({ page }) => {
  await notebookWith(page, 'wheel-panel.ipynb', [LOGISTIC]);
  await page.sidebar.openTab('jupyter-tgraph-panel');
  await page.locator('#jupyter-tgraph-panel .tg-panel-row').first().click();
  const canvas = page.locator('.tg-document .tg-graph').first();
  await expect(canvas.locator('svg g.node').first()).toBeVisible();
  const box = (await canvas.boundingBox())!;
  await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
  const before = await viewBox(canvas);
  await page.mouse.wheel(0, -300);
  await expect.poll(() => viewBox(canvas)).not.toBe(before);
});
