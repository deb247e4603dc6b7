/**
 * Driving VS Code's workbench: opening a notebook, running it, and finding
 * content inside webviews (the notebook's outputs live in one webview, the
 * tgraph view and each graph tab in others: an iframe.webview holding an
 * inner #active-frame).
 */
import { expect, Frame, Locator, Page } from '@playwright/test';

export async function openWorkbench(page: Page): Promise<void> {
  await page.goto('/');
  await expect(page.locator('.monaco-workbench')).toBeVisible({ timeout: 90_000 });
  // the extension host and the stand-in activate with the first notebook
  await expect(page.locator('.activitybar a.action-label[aria-label^="tgraph"]')).toBeVisible({
    timeout: 90_000
  });
}

export async function command(page: Page, name: string): Promise<void> {
  const input = page.locator('.quick-input-widget input');
  // a webview with the focus keeps the key: give it to the workbench first
  await expect(async () => {
    await page.locator('.part.editor .tabs-container .tab.active').first().click();
    await page.keyboard.press('F1');
    await input.fill(`>${name}`, { timeout: 5000 });
  }).toPass({ timeout: 60_000 });
  // the row of exactly that command (others match the words too)
  const label = page.locator('.label-name', { hasText: new RegExp(`^${escape(name)}$`) });
  await page.locator('.quick-input-widget .monaco-list-row', { has: label }).first().click();
}

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

export async function openNotebook(page: Page, name: string): Promise<void> {
  await page.keyboard.press('Control+P');
  const input = page.locator('.quick-input-widget input');
  await expect(input).toBeVisible();
  await input.fill(name);
  await page.locator('.quick-input-widget .monaco-list-row', { hasText: name }).first().waitFor();
  await page.keyboard.press('Enter');
  await expect(page.locator('.tabs-container .tab.active', { hasText: name })).toBeVisible();
  await expect(
    page.locator('.notebook-editor .cell-list-container').filter({ visible: true }).first()
  ).toBeVisible();
}

/** Run every cell of the active notebook; picks the stand-in's kernel if VS Code asks for one. */
export async function runAll(page: Page): Promise<void> {
  await page
    .locator('.notebook-toolbar-container [aria-label^="Run All"]')
    .filter({ visible: true })
    .first()
    .click();
  const pick = page.locator('.quick-input-widget .monaco-list-row', { hasText: 'stand-in' });
  if (
    await pick
      .first()
      .isVisible({ timeout: 3000 })
      .catch(() => false)
  ) {
    await pick.first().click();
  }
}

/** Run cell `index` of the active notebook with its own run button. */
export async function runCell(page: Page, index: number): Promise<void> {
  const cell = page
    .locator('.notebook-editor')
    .filter({ visible: true })
    .locator('.code-cell-row')
    .nth(index);
  await cell.hover();
  await cell.locator('.run-button-container [aria-label^="Execute Cell"]').first().click();
}

/** The frame (of any webview) that holds `selector`, once it is there. */
export async function frameWith(page: Page, selector: string, timeout = 120_000): Promise<Frame> {
  const end = Date.now() + timeout;
  while (Date.now() < end) {
    for (const frame of page.frames()) {
      if (
        await frame
          .locator(selector)
          .count()
          .catch(() => 0)
      ) {
        return frame;
      }
    }
    await page.waitForTimeout(250);
  }
  throw new Error(`no webview shows ${selector}`);
}

/** The tgraph side bar view's content (its webview's frame). */
export async function tgraphView(page: Page): Promise<Frame> {
  // a second click on the activity bar item would close the side bar
  const item = page.locator('.activitybar .action-item', {
    has: page.locator('a.action-label[aria-label^="tgraph"]')
  });
  if (!((await item.getAttribute('class')) ?? '').includes('checked')) {
    await item.click();
  }
  return frameWith(page, 'body.tg-sidebar .tg-panel');
}

/** Relative luminance (WCAG 2) of a CSS `rgb()`/`rgba()` colour over `under`. */
export function luminance(css: string): number {
  const [r, g, b] = (css.match(/[\d.]+/g) ?? ['0', '0', '0']).slice(0, 3).map(Number);
  const channel = (v: number) => {
    const c = v / 255;
    return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  };
  return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b);
}

/** `#rrggbb` (a theme variable) as `rgb(r, g, b)`; an `rgb()` as it is. */
export function toRgb(colour: string): string {
  const hex = colour.trim().match(/^#([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})/i);
  if (!hex) {
    return colour.trim();
  }
  return `rgb(${hex
    .slice(1)
    .map(h => parseInt(h, 16))
    .join(', ')})`;
}

export function contrast(a: string, b: string): number {
  const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x);
  return (hi + 0.05) / (lo + 0.05);
}

/**
 * The colour a node shows and the colour behind it: its computed colour (or
 * SVG fill) and its ancestors' backgrounds blended down to the first opaque
 * one, or to `page` (the colour behind a transparent webview).
 */
export async function colours(
  target: Locator,
  property: 'color' | 'fill',
  page: string
): Promise<[string, string]> {
  return target.evaluate(
    (node, [prop, under]) => {
      const parse = (css: string): number[] => (css.match(/[\d.]+/g) ?? []).map(Number);
      const ink = getComputedStyle(node)[prop as 'color'];
      const layers: number[][] = [];
      for (let e: Element | null = node; e; e = e.parentElement) {
        const bg = parse(getComputedStyle(e).backgroundColor);
        const alpha = bg.length > 3 ? bg[3] : bg.length ? 1 : 0;
        if (alpha > 0) {
          layers.push([bg[0], bg[1], bg[2], alpha]);
          if (alpha >= 1) {
            break;
          }
        }
      }
      let [r, g, b] = parse(under);
      for (const [lr, lg, lb, a] of layers.reverse()) {
        [r, g, b] = [lr * a + r * (1 - a), lg * a + g * (1 - a), lb * a + b * (1 - a)];
      }
      const inkParts = parse(ink);
      const ia = inkParts.length > 3 ? inkParts[3] : 1;
      const blended = [0, 1, 2].map(i => inkParts[i] * ia + [r, g, b][i] * (1 - ia));
      const css = (c: number[]) => `rgb(${c.map(Math.round).join(', ')})`;
      return [css(blended), css([r, g, b])] as [string, string];
    },
    [property, page]
  );
}
