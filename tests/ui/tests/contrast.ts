/**
 * WCAG 2 contrast of what a browser test sees: text colour against the
 * colour behind it, as the page computes them. Shared by every host's theme
 * tests (JupyterLab here; VS Code's reuse it).
 */
import { Locator } from '@playwright/test';

/** A computed CSS colour, `rgb(r, g, b)` or `rgba(r, g, b, a)`, as [r, g, b, a] (0-255, 0-1). */
export function parseColour(css: string): [number, number, number, number] {
  const parts = css.match(/-?\d+(\.\d+)?/g)?.map(Number) ?? [];
  if (!/^rgba?\(/.test(css.trim()) || parts.length < 3) {
    throw new Error(`not a computed rgb() colour: ${css}`);
  }
  const [r, g, b, a = 1] = parts;
  return [r, g, b, a];
}

/** ``top`` drawn over the opaque ``bottom``. */
export function over(top: string, bottom: string): string {
  const [r, g, b, a] = parseColour(top);
  const [R, G, B] = parseColour(bottom);
  const mix = (x: number, y: number) => Math.round(x * a + y * (1 - a));
  return `rgb(${mix(r, R)}, ${mix(g, G)}, ${mix(b, B)})`;
}

/** WCAG relative luminance: 0 for black, 1 for white. */
export function luminance(css: string): number {
  const [r, g, b] = parseColour(css).map(c => c / 255);
  const linear = (c: number) => (c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4);
  return 0.2126 * linear(r) + 0.7152 * linear(g) + 0.0722 * linear(b);
}

/** WCAG contrast ratio of a text colour on a background, 1 to 21 (AA asks 4.5 for text). */
export function contrast(text: string, background: string): number {
  const bg = over(background, 'rgb(255, 255, 255)'); // the page under a see-through background
  const [l1, l2] = [luminance(over(text, bg)), luminance(bg)].sort((x, y) => y - x);
  return (l1 + 0.05) / (l2 + 0.05);
}

/**
 * The colour behind an element: the first ancestor (itself included) with a
 * background that is not transparent, composited over those under it.
 */
export async function backgroundOf(element: Locator): Promise<string> {
  const layers = await element.evaluate(node => {
    const found: string[] = [];
    for (let e: Element | null = node; e; e = e.parentElement) {
      const colour = getComputedStyle(e).backgroundColor;
      if (colour && colour !== 'transparent' && colour !== 'rgba(0, 0, 0, 0)') {
        found.push(colour);
        if (!colour.startsWith('rgba')) {
          break; // opaque: nothing under it shows
        }
      }
    }
    return found;
  });
  return layers.reduceRight((under, layer) => over(layer, under), 'rgb(255, 255, 255)');
}

/** Contrast of an HTML element's text against what is behind it. */
export async function textContrast(element: Locator): Promise<number> {
  const colour = await element.evaluate(e => getComputedStyle(e).color);
  return contrast(colour, await backgroundOf(element));
}

/**
 * Contrast of an SVG node's label (its `text` fill) against the node's own
 * shape, itself drawn over the canvas behind it.
 */
export async function labelContrast(node: Locator): Promise<number> {
  const { ink, fill } = await node.evaluate(g => {
    const label = g.querySelector('text');
    const shape = g.querySelector(':scope > :is(path, polygon, ellipse):not([fill="none"])');
    return {
      ink: label ? getComputedStyle(label).fill : '',
      fill: shape ? getComputedStyle(shape).fill : 'rgba(0, 0, 0, 0)'
    };
  });
  const canvas = await backgroundOf(node);
  return contrast(ink, over(fill === 'none' ? 'rgba(0, 0, 0, 0)' : fill, canvas));
}
