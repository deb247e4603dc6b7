/**
 * The geometry of a graph view (what part of the picture shows, at what
 * scale, on a canvas of a given size) and the parsing of the kernel's SVG.
 * Pure functions: graphview.ts applies them to the DOM.
 */

export interface IViewBox {
  x: number;
  y: number;
  w: number;
  h: number;
}

/** The canvas in screen pixels. */
export interface ICanvasSize {
  cw: number;
  ch: number;
}

const MAX_SCALE = 1.5;
const MIN_READABLE = 0.4;

/** Screen pixels per SVG unit of ``box`` under preserveAspectRatio "meet". */
export function scaleOf(box: IViewBox, { cw, ch }: ICanvasSize): number {
  return Math.min(cw / box.w, ch / box.h);
}

/** ``area`` grown to the canvas' aspect so it shows at no more than the largest scale. */
export function fitted(area: IViewBox, { cw, ch }: ICanvasSize): IViewBox {
  const s = Math.min(cw / area.w, ch / area.h, MAX_SCALE);
  const w = cw / s;
  const h = ch / s;
  return { x: area.x + (area.w - w) / 2, y: area.y + (area.h - h) / 2, w, h };
}

/** The whole picture ``natural`` if readable at that size, else its top at a readable scale. */
export function initialBox(natural: IViewBox, size: ICanvasSize): IViewBox {
  const { cw, ch } = size;
  const n = natural;
  if (Math.min(cw / n.w, ch / n.h) >= MIN_READABLE) {
    return fitted(n, size);
  }
  const s = Math.max(MIN_READABLE, Math.min(cw / n.w, 1));
  const w = cw / s;
  return { x: n.x + (n.w - w) / 2, y: n.y, w, h: ch / s };
}

/** ``box`` zoomed by ``factor``, the point under (px, py) of the canvas (0..1) kept in place. */
export function zoomed(
  box: IViewBox,
  size: ICanvasSize,
  factor: number,
  px: number,
  py: number
): IViewBox {
  const { cw, ch } = size;
  const s = scaleOf(box, size);
  const ux = box.x + box.w / 2 + (px - 0.5) * (cw / s);
  const uy = box.y + box.h / 2 + (py - 0.5) * (ch / s);
  const w = box.w / factor;
  const h = box.h / factor;
  const s2 = s * factor;
  return { x: ux - (px - 0.5) * (cw / s2) - w / 2, y: uy - (py - 0.5) * (ch / s2) - h / 2, w, h };
}

/** Parse as XML (never HTML) and drop anything that could run code. */
export function parseSvg(svgText: string): SVGSVGElement | null {
  if (!svgText) {
    return null;
  }
  const doc = new DOMParser().parseFromString(svgText, 'image/svg+xml');
  const root = doc.documentElement;
  if (root.nodeName !== 'svg' || doc.getElementsByTagName('parsererror').length) {
    return null;
  }
  for (const bad of Array.from(root.querySelectorAll('script, foreignObject'))) {
    bad.remove();
  }
  for (const node of Array.from(root.querySelectorAll('*')).concat(root)) {
    for (const attr of Array.from(node.attributes)) {
      if (attr.name.toLowerCase().startsWith('on') || /^\s*javascript:/i.test(attr.value)) {
        node.removeAttribute(attr.name);
      }
    }
  }
  const svg = document.importNode(root, true);
  if (!(svg instanceof SVGSVGElement)) {
    return null; // not in the SVG namespace
  }
  svg.removeAttribute('width');
  svg.removeAttribute('height');
  svg.setAttribute('preserveAspectRatio', 'xMidYMid meet');
  return svg;
}

export function viewBoxOf(svg: SVGSVGElement): IViewBox {
  const [x, y, w, h] = (svg.getAttribute('viewBox') ?? '0 0 1 1').split(/[\s,]+/).map(Number);
  return { x: x || 0, y: y || 0, w: w || 1, h: h || 1 };
}

/** Graphviz puts the whole drawing under one translate(); bboxes need it added. */
export function translateOf(svg: SVGSVGElement): { x: number; y: number } {
  const t = svg.querySelector('g.graph')?.getAttribute('transform') ?? '';
  const m = /translate\(\s*([-\d.]+)[\s,]+([-\d.]+)\s*\)/.exec(t);
  return m ? { x: Number(m[1]), y: Number(m[2]) } : { x: 0, y: 0 };
}

/**
 * The area an element of the picture covers, in view-box units, grown by
 * ``pad``; null when it is missing or not rendered (a hidden tab).
 */
export function drawnArea(
  g: SVGGElement | undefined,
  offset: { x: number; y: number },
  pad = 0
): IViewBox | null {
  let bb: DOMRect | undefined;
  try {
    bb = g?.getBBox();
  } catch {
    return null;
  }
  if (!bb) {
    return null;
  }
  const x = bb.x + offset.x - pad;
  const y = bb.y + offset.y - pad;
  return { x, y, w: bb.width + 2 * pad, h: bb.height + 2 * pad };
}

/** ``box`` moved so that the centre of ``area`` is its centre. */
export function centred(box: IViewBox, area: IViewBox): IViewBox {
  const cx = area.x + area.w / 2;
  const cy = area.y + area.h / 2;
  return { ...box, x: cx - box.w / 2, y: cy - box.h / 2 };
}
