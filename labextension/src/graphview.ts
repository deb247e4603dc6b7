/**
 * One graph view: mounts the kernel's SVG and adds pan, zoom, fit, search,
 * selection with an inspector, and expand/collapse requests. Plain DOM, used
 * by the inline widget and the side panel alike. Names from the graph only
 * ever reach the page as text (textContent), and the SVG is parsed as XML.
 */
import { GraphJSON, GraphModel, LayoutMeta, SearchCursor } from './graphmodel';

export interface GraphViewOptions {
  /** A collapsed subgraph was clicked (or its Expand button pressed). */
  onExpand?: (id: string) => void;
  /** The Collapse button of an expanded subgraph was pressed. */
  onCollapse?: (id: string) => void;
  onSelect?: (id: string | null) => void;
  /** The user panned or zoomed (not called for setViewBox). */
  onViewChange?: (box: ViewBox) => void;
}

export interface ViewBox {
  x: number;
  y: number;
  w: number;
  h: number;
}

const DRAG_PX = 3;
const MAX_SCALE = 1.5;
const MIN_READABLE = 0.4;

export class GraphView {
  readonly element: HTMLDivElement;
  private canvas: HTMLDivElement;
  private inspector: HTMLDivElement;
  private searchInput: HTMLInputElement;
  private searchStatus: HTMLSpanElement;
  private svg: SVGSVGElement | null = null;
  private model = new GraphModel({
    nodes: [],
    edges: [],
    subgraphs: [],
    notes: []
  });
  private elements = new Map<string, SVGGElement>();
  private natural: ViewBox = { x: 0, y: 0, w: 1, h: 1 };
  private box: ViewBox = { x: 0, y: 0, w: 1, h: 1 };
  private offset = { x: 0, y: 0 };
  private cursor = new SearchCursor([]);
  private selected: string | null = null;
  private focusAfterLayout: string | null = null;
  private drag: { x: number; y: number; moved: boolean } | null = null;
  /** Until the user pans or zooms, a resize (e.g. first display) re-fits. */
  private touched = false;
  private resizer: ResizeObserver | null = null;

  constructor(private options: GraphViewOptions = {}) {
    this.element = el('div', 'tg-view');
    const bar = el('div', 'tg-toolbar');
    this.searchInput = el('input', 'tg-search');
    this.searchInput.type = 'search';
    this.searchInput.placeholder = 'Search op, name, dtype (e.g. op:add)';
    this.searchInput.setAttribute('aria-label', 'Search nodes');
    this.searchStatus = el('span', 'tg-search-status');
    this.searchStatus.setAttribute('aria-live', 'polite');
    bar.append(
      this.searchInput,
      button('◀', 'tg-prev', 'Previous match', () => this.prev()),
      button('▶', 'tg-next', 'Next match', () => this.next()),
      this.searchStatus,
      el('span', 'tg-spacer'),
      button('−', 'tg-zoom-out', 'Zoom out', () => this.zoomBy(1 / 1.25)),
      button('+', 'tg-zoom-in', 'Zoom in', () => this.zoomBy(1.25)),
      button('Fit', 'tg-fit', 'Fit the whole graph', () => this.fit()),
      button('SVG', 'tg-save', 'Download the picture as SVG', () => this.download())
    );
    this.canvas = el('div', 'tg-graph');
    this.canvas.tabIndex = 0;
    this.canvas.setAttribute('aria-label', 'Graph: drag to pan, wheel or +/- to zoom, 0 to fit');
    this.inspector = el('div', 'tg-inspector');
    this.inspector.setAttribute('aria-live', 'polite');
    const body = el('div', 'tg-body');
    body.append(this.canvas, this.inspector);
    this.element.append(bar, body);
    this.showInspector();
    this.listen();
    if (typeof ResizeObserver !== 'undefined') {
      this.resizer = new ResizeObserver(() => {
        if (!this.touched && this.svg) {
          this.initialView();
        }
      });
      this.resizer.observe(this.canvas);
    }
  }

  /** Show a new picture; keeps the zoom and centres on a just-toggled subgraph. */
  setGraph(graph: GraphJSON, svgText: string, meta: LayoutMeta = {}): void {
    this.model = new GraphModel(graph, meta);
    this.canvas.replaceChildren();
    this.elements.clear();
    const empty = !graph?.nodes?.length;
    this.svg = empty ? null : parseSvg(svgText);
    if (!this.svg) {
      const why = empty ? 'Nothing in this view.' : 'No picture for this view.';
      this.canvas.append(text('p', 'tg-empty', meta.error || why));
      return;
    }
    this.canvas.append(this.svg);
    for (const g of Array.from(this.svg.querySelectorAll<SVGGElement>('g.node, g.cluster'))) {
      if (g.id.startsWith('tg-')) {
        this.elements.set(g.id.slice(3), g);
      }
    }
    this.natural = viewBoxOf(this.svg);
    this.offset = translateOf(this.svg);
    const focus = this.focusAfterLayout;
    this.focusAfterLayout = null;
    if (focus && this.elements.has(focus)) {
      this.centerOn(focus);
    } else {
      this.touched = false;
      this.initialView();
    }
    if (this.searchInput.value) {
      this.search(this.searchInput.value);
    }
    if (this.selected && !this.elements.has(this.selected) && !this.model.node(this.selected)) {
      this.select(null);
    } else {
      this.select(this.selected);
    }
  }

  /** The visible element standing for ``id``: itself or its collapsed ancestor. */
  elementFor(id: string): SVGGElement | null {
    for (const a of this.model.ancestry(id)) {
      const g = this.elements.get(a);
      if (g) {
        return g;
      }
    }
    return null;
  }

  fit(): void {
    this.setBox(this.fitted(this.natural, Infinity));
  }

  zoomBy(factor: number, px = 0.5, py = 0.5): void {
    this.touched = true;
    const { cw, ch } = this.size();
    const s = this.scale();
    // keep the point under (px, py) of the canvas in place
    const ux = this.box.x + this.box.w / 2 + (px - 0.5) * (cw / s);
    const uy = this.box.y + this.box.h / 2 + (py - 0.5) * (ch / s);
    const w = this.box.w / factor;
    const h = this.box.h / factor;
    const s2 = s * factor;
    this.setBox({
      x: ux - (px - 0.5) * (cw / s2) - w / 2,
      y: uy - (py - 0.5) * (ch / s2) - h / 2,
      w,
      h
    });
  }

  /** Highlights matches; returns their count. Enter/next moves to each in turn. */
  search(query: string): number {
    this.searchInput.value = query;
    this.clearHighlight('tg-match');
    this.clearHighlight('tg-current');
    this.cursor = new SearchCursor(this.model.search(query));
    this.highlight(this.cursor.matches, 'tg-match');
    this.searchStatus.textContent = query.trim() ? this.cursor.describe() : '';
    return this.cursor.matches.length;
  }

  next(): string | undefined {
    return this.goTo(this.cursor.next());
  }

  prev(): string | undefined {
    return this.goTo(this.cursor.prev());
  }

  /** Select a node or subgraph and show its attributes (null clears). */
  select(id: string | null): void {
    this.clearHighlight('tg-selected');
    this.selected = id;
    if (id) {
      this.elementFor(id)?.classList.add('tg-selected');
    }
    this.showInspector();
    this.options.onSelect?.(id);
  }

  get selection(): string | null {
    return this.selected;
  }

  /** Add ``cls`` to the elements standing for ``ids`` (e.g. a rewrite's nodes). */
  highlight(ids: Iterable<string>, cls: string): void {
    for (const id of ids) {
      this.elementFor(id)?.classList.add(cls);
    }
  }

  clearHighlight(cls: string): void {
    for (const g of this.elements.values()) {
      g.classList.remove(cls);
    }
  }

  /** The picture as shown (with highlight classes), for export. */
  getSvg(): string {
    return this.svg ? new XMLSerializer().serializeToString(this.svg) : '';
  }

  dispose(): void {
    this.resizer?.disconnect();
    this.element.remove();
  }

  private goTo(id: string | undefined): string | undefined {
    this.clearHighlight('tg-current');
    this.searchStatus.textContent = this.cursor.describe();
    if (id) {
      this.highlight([id], 'tg-current');
      const target = this.elementFor(id);
      if (target) {
        this.centerOn(target.id.slice(3));
      }
      this.select(id);
    }
    return id;
  }

  private showInspector(): void {
    const box = this.inspector;
    box.replaceChildren();
    const id = this.selected;
    if (!id) {
      box.append(text('p', 'tg-hint', 'Click a node to see its attributes.'));
      return;
    }
    const rows = this.model.details(id);
    const node = this.model.node(id);
    box.append(text('h4', 'tg-inspector-title', node?.label ?? rows[0]?.[1] ?? id));
    const dl = el('dl', 'tg-details');
    for (const [k, v] of rows) {
      dl.append(text('dt', '', k), text('dd', '', v));
    }
    box.append(dl);
    const shown = this.elements.get(id);
    if (shown?.classList.contains('tg-subgraph')) {
      box.append(button('Expand', 'tg-expand', 'Expand this subgraph', () => this.expand(id)));
    } else if (shown?.classList.contains('tg-cluster')) {
      box.append(
        button('Collapse', 'tg-collapse', 'Collapse this subgraph', () => this.collapse(id))
      );
    }
  }

  private expand(id: string): void {
    this.focusAfterLayout = id;
    this.options.onExpand?.(id);
  }

  private collapse(id: string): void {
    this.focusAfterLayout = id;
    this.options.onCollapse?.(id);
  }

  private listen(): void {
    const c = this.canvas;
    c.addEventListener('pointerdown', e => {
      if (e.button !== 0) {
        return;
      }
      this.drag = { x: e.clientX, y: e.clientY, moved: false };
    });
    c.addEventListener('pointermove', e => {
      const d = this.drag;
      if (!d) {
        return;
      }
      const dx = e.clientX - d.x;
      const dy = e.clientY - d.y;
      if (!d.moved && Math.hypot(dx, dy) < DRAG_PX) {
        return;
      }
      if (!d.moved) {
        d.moved = true;
        c.setPointerCapture?.(e.pointerId);
        c.classList.add('tg-dragging');
      }
      const s = this.scale();
      this.touched = true;
      this.setBox({
        ...this.box,
        x: this.box.x - dx / s,
        y: this.box.y - dy / s
      });
      d.x = e.clientX;
      d.y = e.clientY;
    });
    const end = () => {
      c.classList.remove('tg-dragging');
      // the click that follows a drag must not select; clear after it fires
      setTimeout(() => (this.drag = null), 0);
    };
    c.addEventListener('pointerup', end);
    c.addEventListener('pointercancel', end);
    c.addEventListener('click', e => {
      if (this.drag?.moved) {
        return;
      }
      this.drag = null;
      this.onClick(e.target as Element);
    });
    c.addEventListener(
      'wheel',
      e => {
        e.preventDefault();
        const r = c.getBoundingClientRect();
        const px = r.width ? (e.clientX - r.left) / r.width : 0.5;
        const py = r.height ? (e.clientY - r.top) / r.height : 0.5;
        this.zoomBy(Math.exp(-e.deltaY * 0.0015), px, py);
      },
      { passive: false }
    );
    c.addEventListener('keydown', e => this.onKey(e));
    this.searchInput.addEventListener('input', () => this.search(this.searchInput.value));
    this.searchInput.addEventListener('keydown', e => {
      if (e.key === 'Enter') {
        e.preventDefault();
        if (e.shiftKey) {
          this.prev();
        } else {
          this.next();
        }
      } else if (e.key === 'Escape') {
        this.search('');
      }
    });
  }

  private onClick(target: Element): void {
    const g = target.closest?.('g.node, g.cluster');
    if (!g || !g.id.startsWith('tg-')) {
      this.select(null);
      return;
    }
    const id = g.id.slice(3);
    this.select(id);
    if (g.classList.contains('tg-subgraph')) {
      this.expand(id);
    }
  }

  private onKey(e: KeyboardEvent): void {
    const step = 40 / this.scale();
    const moves: Record<string, [number, number]> = {
      ArrowLeft: [-step, 0],
      ArrowRight: [step, 0],
      ArrowUp: [0, -step],
      ArrowDown: [0, step]
    };
    if (moves[e.key]) {
      const [dx, dy] = moves[e.key];
      this.touched = true;
      this.setBox({ ...this.box, x: this.box.x + dx, y: this.box.y + dy });
    } else if (e.key === '+' || e.key === '=') {
      this.zoomBy(1.25);
    } else if (e.key === '-') {
      this.zoomBy(1 / 1.25);
    } else if (e.key === '0') {
      this.fit();
    } else {
      return;
    }
    e.preventDefault();
  }

  private size(): { cw: number; ch: number } {
    const r = this.canvas.getBoundingClientRect();
    // detached or not laid out (tests, hidden tab): use the picture's own size
    return r.width && r.height
      ? { cw: r.width, ch: r.height }
      : { cw: this.natural.w, ch: this.natural.h };
  }

  /** Screen pixels per SVG unit under preserveAspectRatio "meet". */
  private scale(): number {
    const { cw, ch } = this.size();
    return Math.min(cw / this.box.w, ch / this.box.h);
  }

  /** ``area`` grown to the canvas' aspect so it shows at no more than ``maxScale``. */
  private fitted(area: ViewBox, maxScale: number): ViewBox {
    const { cw, ch } = this.size();
    const s = Math.min(cw / area.w, ch / area.h, MAX_SCALE, maxScale);
    const w = cw / s;
    const h = ch / s;
    return { x: area.x + (area.w - w) / 2, y: area.y + (area.h - h) / 2, w, h };
  }

  /** Whole graph if readable at that size, else its top at a readable scale. */
  private initialView(): void {
    const { cw, ch } = this.size();
    const n = this.natural;
    if (Math.min(cw / n.w, ch / n.h) >= MIN_READABLE) {
      this.fit();
      return;
    }
    const s = Math.max(MIN_READABLE, Math.min(cw / n.w, 1));
    const w = cw / s;
    this.setBox({ x: n.x + (n.w - w) / 2, y: n.y, w, h: ch / s });
  }

  private centerOn(id: string): void {
    const g = this.elements.get(id);
    if (!g) {
      return;
    }
    let bb: DOMRect | undefined;
    try {
      bb = g.getBBox();
    } catch {
      return; // not rendered (hidden tab or no layout engine)
    }
    if (!bb) {
      return;
    }
    const cx = bb.x + bb.width / 2 + this.offset.x;
    const cy = bb.y + bb.height / 2 + this.offset.y;
    this.setBox({
      ...this.box,
      x: cx - this.box.w / 2,
      y: cy - this.box.h / 2
    });
  }

  private setBox(b: ViewBox): void {
    this.setViewBox(b);
    this.options.onViewChange?.(b);
  }

  get viewBox(): ViewBox {
    return { ...this.box };
  }

  /** Show exactly this area (e.g. to follow another view side by side). */
  setViewBox(b: ViewBox): void {
    this.box = b;
    this.svg?.setAttribute('viewBox', `${b.x} ${b.y} ${b.w} ${b.h}`);
  }

  private download(): void {
    const blob = new Blob([this.getSvg()], { type: 'image/svg+xml' });
    const a = document.createElement('a');
    a.href = URL.createObjectURL(blob);
    a.download = 'tgraph.svg';
    a.click();
    setTimeout(() => URL.revokeObjectURL(a.href), 1000);
  }
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
  const svg = document.importNode(root, true) as unknown as SVGSVGElement;
  svg.removeAttribute('width');
  svg.removeAttribute('height');
  svg.setAttribute('preserveAspectRatio', 'xMidYMid meet');
  return svg;
}

function viewBoxOf(svg: SVGSVGElement): ViewBox {
  const [x, y, w, h] = (svg.getAttribute('viewBox') ?? '0 0 1 1').split(/[\s,]+/).map(Number);
  return { x: x || 0, y: y || 0, w: w || 1, h: h || 1 };
}

/** Graphviz puts the whole drawing under one translate(); bboxes need it added. */
function translateOf(svg: SVGSVGElement): { x: number; y: number } {
  const t = svg.querySelector('g.graph')?.getAttribute('transform') ?? '';
  const m = /translate\(\s*([-\d.]+)[\s,]+([-\d.]+)\s*\)/.exec(t);
  return m ? { x: Number(m[1]), y: Number(m[2]) } : { x: 0, y: 0 };
}

function el<K extends keyof HTMLElementTagNameMap>(tag: K, cls: string): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  if (cls) {
    e.className = cls;
  }
  return e;
}

export function text<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  cls: string,
  content: string
): HTMLElementTagNameMap[K] {
  const e = el(tag, cls);
  e.textContent = content;
  return e;
}

export function button(
  label: string,
  cls: string,
  title: string,
  onClick: () => void
): HTMLButtonElement {
  const b = text('button', `tg-button ${cls}`, label);
  b.type = 'button';
  b.title = title;
  b.setAttribute('aria-label', title);
  b.addEventListener('click', onClick);
  return b;
}
