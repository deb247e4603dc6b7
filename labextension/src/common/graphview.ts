/**
 * One graph view: mounts the kernel's SVG and adds pan, zoom, fit, search,
 * selection with an inspector, and expand/collapse requests. Plain DOM, used
 * by the inline widget and the side panel alike. Names from the graph only
 * ever reach the page as text (textContent), and the SVG is parsed as XML.
 */
import { el, save, text } from './dom';
import { crumbs } from './crumbs';
import { applyFocus } from './focus';
import { GraphJSON } from './graph';
import { GraphModel, SearchCursor } from './graphmodel';
import { inspectorContent } from './inspector';
import { listenDrag } from './drag';
import { WheelPolicy } from './wheel';
import { LayoutMetaJSON } from './messages';
import { keyAction } from './keys';
import { toolbar } from './toolbar';
import {
  centred,
  drawnArea,
  fitted,
  ICanvasSize,
  initialBox,
  IViewBox,
  parseSvg,
  scaleOf,
  translateOf,
  viewBoxOf,
  zoomed
} from './viewbox';

export type { IViewBox } from './viewbox';

export interface IGraphViewOptions {
  /** A collapsed subgraph was clicked (or its Expand button pressed). */
  onExpand?: (id: string) => void;
  /**
   * Open these subgraphs together, outermost first: the closed groups around
   * a search match the user moved to. Without it, matches inside closed
   * groups are only shown by their group.
   */
  onOpenPath?: (ids: string[]) => void;
  /** The Collapse button of an expanded subgraph was pressed. */
  onCollapse?: (id: string) => void;
  onSelect?: (id: string | null) => void;
  /** The user panned or zoomed (not called for setViewBox). */
  onViewChange?: (box: IViewBox) => void;
  /** More for the inspector of node `id` (its value...), after its attributes. */
  inspectorExtra?: (id: string) => HTMLElement | null;
  /** The wheel zooms at once (a full-size view, with no page to scroll): see wheel.ts. */
  wheelZooms?: boolean;
}

/** Below this many screen pixels per SVG unit, small text is hidden (see setViewBox). */
const FAR_SCALE = 0.55;

export class GraphView {
  readonly element: HTMLDivElement;
  private _canvas: HTMLDivElement;
  private _inspector: HTMLDivElement;
  private _crumbs: HTMLDivElement;
  private _searchInput: HTMLInputElement;
  private _searchStatus: HTMLSpanElement;
  private _svg: SVGSVGElement | null = null;
  private _model = new GraphModel({
    nodes: [],
    edges: [],
    subgraphs: [],
    notes: []
  });
  private _elements = new Map<string, SVGGElement>();
  private _natural: IViewBox = { x: 0, y: 0, w: 1, h: 1 };
  private _box: IViewBox = { x: 0, y: 0, w: 1, h: 1 };
  private _offset = { x: 0, y: 0 };
  private _cursor = new SearchCursor([]);
  private _selected: string | null = null;
  private _focusAfterLayout: string | null = null;
  /** The group shown alone (see focus.ts), and whether to fit the view to it next. */
  private _focus: string | null = null;
  private _fitFocus = false;
  /** Until the user pans or zooms, a resize (e.g. first display) re-fits. */
  private _touched = false;
  private _resizer: ResizeObserver | null = null;
  /** Clicked into: the wheel zooms until the pointer leaves or Esc. */
  private _wheel: WheelPolicy;

  constructor(private _options: IGraphViewOptions = {}) {
    this.element = el('div', 'tg-view');
    this._wheel = new WheelPolicy(!!this._options.wheelZooms);
    const { bar, search, status } = toolbar(this._wheel.hint, {
      prev: () => this.prev(),
      next: () => this.next(),
      zoomBy: f => this.zoomBy(f),
      fit: () => this.fit(),
      save: () => save('tgraph.svg', new Blob([this.getSvg()], { type: 'image/svg+xml' }))
    });
    this._searchInput = search;
    this._searchStatus = status;
    this._canvas = el('div', 'tg-graph');
    this._canvas.tabIndex = 0;
    this._canvas.setAttribute(
      'aria-label',
      'Graph: drag to pan, Ctrl + wheel or +/- to zoom, 0 to fit, Esc to let the wheel scroll'
    );
    this._inspector = el('div', 'tg-inspector');
    this._inspector.setAttribute('aria-live', 'polite');
    const body = el('div', 'tg-body');
    body.append(this._canvas, this._inspector);
    this._crumbs = el('div', 'tg-crumbs');
    this._crumbs.setAttribute('aria-label', 'Where the selection sits');
    this.element.append(bar, this._crumbs, body);
    this._showInspector();
    this._listen();
    if (typeof ResizeObserver !== 'undefined') {
      this._resizer = new ResizeObserver(() => {
        if (!this._touched && this._svg) {
          this._initialView();
        }
      });
      this._resizer.observe(this._canvas);
    }
  }

  /** Show a new picture; keeps the zoom and centres on a just-toggled subgraph. */
  setGraph(graph: GraphJSON, svgText: string, meta: LayoutMetaJSON = {}): void {
    this._model = new GraphModel(graph, meta);
    this._canvas.replaceChildren();
    this._elements.clear();
    const empty = !graph?.nodes?.length;
    this._svg = empty ? null : parseSvg(svgText);
    if (!this._svg) {
      const why = empty ? 'Nothing in this view.' : 'No picture for this view.';
      this._canvas.append(text('p', 'tg-empty', meta.error || why));
      return;
    }
    this._canvas.append(this._svg);
    for (const g of Array.from(this._svg.querySelectorAll<SVGGElement>('g.node, g.cluster'))) {
      if (g.id.startsWith('tg-')) {
        this._elements.set(g.id.slice(3), g);
      }
    }
    this._natural = viewBoxOf(this._svg);
    this._offset = translateOf(this._svg);
    this._restore();
  }

  /** After a new picture: the view (centred on a just-toggled subgraph), search and selection. */
  private _restore(): void {
    const focus = this._focusAfterLayout;
    this._focusAfterLayout = null;
    if (focus && this._elements.has(focus)) {
      this._centerOn(focus);
    } else {
      this._touched = false;
      this._initialView();
    }
    if (this._searchInput.value) {
      this.search(this._searchInput.value);
    }
    const kept = this._selected;
    this.select(kept && (this._elements.has(kept) || this._model.node(kept)) ? kept : null);
    if (kept && this._cursor.matches.includes(kept)) {
      this._cursor.moveTo(kept); // a match whose groups just opened stays the current one
      this._searchStatus.textContent = this._cursor.describe();
      this.highlight([kept], 'tg-current');
    }
    this._applyFocus();
  }

  /** Show group ``id`` alone (null: the whole graph again); a closed group opens first. */
  focus(id: string | null): void {
    const leaving = this._focus !== null && id === null;
    [this._focus, this._fitFocus] = [id, id !== null];
    if (id && this._elements.get(id)?.classList.contains('tg-subgraph')) {
      return this._expand(id); // the focus applies to the opened picture
    }
    this._applyFocus();
    if (leaving) {
      this._touched = false;
      this._initialView();
    }
  }

  private _applyFocus(): void {
    const frame = this._svg ? applyFocus(this._svg, this._model, this._focus) : null;
    if (!frame) {
      this._focus = null;
    }
    this._canvas.classList.toggle('tg-focused', frame !== null);
    this._showInspector();
    this._showCrumbs();
    if (frame && this._fitFocus) {
      this._fitFocus = false;
      this._fitTo(frame);
    }
  }

  /** The visible element standing for ``id``: itself or its collapsed ancestor. */
  elementFor(id: string): SVGGElement | null {
    for (const a of this._model.ancestry(id)) {
      const g = this._elements.get(a);
      if (g) {
        return g;
      }
    }
    return null;
  }

  /** The whole picture, or the focused group. */
  fit(): void {
    const frame = this._focus ? this._elements.get(this._focus) : undefined;
    if (frame) {
      this._fitTo(frame);
    } else {
      this._setBox(fitted(this._natural, this._size()));
    }
  }

  zoomBy(factor: number, px = 0.5, py = 0.5): void {
    this._touched = true;
    this._setBox(zoomed(this._box, this._size(), factor, px, py));
  }

  /** Highlights matches; returns their count. Enter/next moves to each in turn. */
  search(query: string): number {
    this._searchInput.value = query;
    this.clearHighlight('tg-match');
    this.clearHighlight('tg-current');
    this._cursor = new SearchCursor(this._model.search(query));
    this.highlight(this._cursor.matches, 'tg-match');
    this._searchStatus.textContent = query.trim() ? this._cursor.describe() : '';
    return this._cursor.matches.length;
  }

  next(): string | undefined {
    return this._goTo(this._cursor.next());
  }

  prev(): string | undefined {
    return this._goTo(this._cursor.prev());
  }

  /** Select a node or subgraph and show its attributes (null clears). */
  select(id: string | null): void {
    this.clearHighlight('tg-selected');
    this._selected = id;
    if (id) {
      this.elementFor(id)?.classList.add('tg-selected');
    }
    this._showInspector();
    this._showCrumbs();
    this._options.onSelect?.(id);
  }

  /** The breadcrumb of the selection, after the way back from a focused group. */
  private _showCrumbs(): void {
    const pick = (step: string): void => {
      this.select(step);
      this.reveal(step);
    };
    const leave = (): void => this.focus(null);
    this._crumbs.replaceChildren(...crumbs(this._model, this._selected, pick, this._focus, leave));
  }

  get selection(): string | null {
    return this._selected;
  }

  /** Redraw the inspector (what `inspectorExtra` shows has changed). */
  refreshInspector(): void {
    this._showInspector();
  }

  /** Centre the view on a node, or on the collapsed subgraph holding it. */
  reveal(id: string): void {
    const shown = this.elementFor(id);
    if (shown) {
      this._centerOn(shown.id.slice(3));
    }
  }

  /** Put a control (the values toggle...) above the picture. */
  addBar(bar: HTMLElement): void {
    this.element.insertBefore(bar, this.element.children[1] ?? null);
  }

  /** Add ``cls`` to the elements standing for ``ids`` (e.g. a rewrite's nodes). */
  highlight(ids: Iterable<string>, cls: string): void {
    for (const id of ids) {
      this.elementFor(id)?.classList.add(cls);
    }
  }

  clearHighlight(cls: string): void {
    for (const g of this._elements.values()) {
      g.classList.remove(cls);
    }
  }

  /** The picture as shown (with highlight classes), for export. */
  getSvg(): string {
    if (!this._svg) {
      return '';
    }
    const shown = this._svg.cloneNode(true) as SVGSVGElement;
    shown.querySelectorAll('.tg-outside').forEach(e => e.remove()); // a focus exports its group
    return new XMLSerializer().serializeToString(shown);
  }

  /** Whether the wheel zooms now (else it scrolls the page). */
  get wheelZooms(): boolean {
    return this._wheel.zooms;
  }

  dispose(): void {
    this._wheel.dispose();
    this._resizer?.disconnect();
    this.element.remove();
  }

  private _goTo(id: string | undefined): string | undefined {
    this.clearHighlight('tg-current');
    this._searchStatus.textContent = this._cursor.describe();
    if (id) {
      this.highlight([id], 'tg-current');
      const target = this.elementFor(id);
      if (target) {
        this._centerOn(target.id.slice(3));
      }
      this.select(id);
      this._openAround(id);
    }
    return id;
  }

  /** Ask for the closed groups around ``id`` to open; the next picture centres on it. */
  private _openAround(id: string): void {
    const open = (sub: string) => !!this._elements.get(sub)?.classList.contains('tg-cluster');
    const closed = this._model.closedAround(id, open);
    if (closed.length && this._options.onOpenPath) {
      this._focusAfterLayout = id;
      this._options.onOpenPath(closed);
    }
  }

  private _showInspector(): void {
    const id = this._selected;
    const shown = id ? this._elements.get(id) : undefined;
    this._inspector.replaceChildren(
      ...inspectorContent(this._model, id, {
        extra: id ? (this._options.inspectorExtra?.(id) ?? null) : null,
        expandable: !!shown?.classList.contains('tg-subgraph'),
        collapsible: !!shown?.classList.contains('tg-cluster'),
        focused: id !== null && id === this._focus,
        onExpand: () => id && this._expand(id),
        onCollapse: () => id && this._collapse(id),
        onFocus: () => id && this.focus(id === this._focus ? null : id)
      })
    );
  }

  private _expand(id: string): void {
    this._focusAfterLayout = id;
    this._options.onExpand?.(id);
  }

  private _collapse(id: string): void {
    this._focusAfterLayout = id;
    this._options.onCollapse?.(id);
  }

  private _listen(): void {
    const c = this._canvas;
    listenDrag(c, {
      onPress: () => (this._wheel.engaged = true),
      onMove: (dx, dy) => {
        const s = this._scale();
        this._touched = true;
        this._setBox({ ...this._box, x: this._box.x - dx / s, y: this._box.y - dy / s });
      },
      onClick: target => this._onClick(target)
    });
    c.addEventListener('wheel', e => this._onWheel(e), { passive: false });
    c.addEventListener('pointerleave', () => (this._wheel.engaged = false));
    c.addEventListener('keydown', e => this._onKey(e));
    this._searchInput.addEventListener('input', () => this.search(this._searchInput.value));
    this._searchInput.addEventListener('keydown', e => {
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

  /** Zoom under the pointer where the wheel may zoom; else let the page scroll. */
  private _onWheel(e: WheelEvent): void {
    if (!this._wheel.takes(e)) {
      return;
    }
    e.preventDefault();
    const r = this._canvas.getBoundingClientRect();
    const px = r.width ? (e.clientX - r.left) / r.width : 0.5;
    const py = r.height ? (e.clientY - r.top) / r.height : 0.5;
    this.zoomBy(Math.exp(-e.deltaY * 0.0015), px, py);
  }

  private _onClick(target: Element): void {
    const g = target.closest?.('g.node, g.cluster');
    if (!g || !g.id.startsWith('tg-')) {
      this.select(null);
      return;
    }
    const id = g.id.slice(3);
    this.select(id);
    if (g.classList.contains('tg-subgraph')) {
      this._expand(id);
    }
  }

  private _onKey(e: KeyboardEvent): void {
    const action = keyAction(e.key, 40 / this._scale());
    if (action.pan) {
      this._touched = true;
      this._setBox({
        ...this._box,
        x: this._box.x + action.pan[0],
        y: this._box.y + action.pan[1]
      });
    } else if (action.zoom) {
      this.zoomBy(action.zoom);
    } else if (action.fit) {
      this.fit();
    } else if (e.key === 'Escape' && this._focus) {
      this.focus(null); // Esc first leaves a focused group
    } else {
      if (e.key === 'Escape') {
        this._wheel.engaged = false; // the wheel scrolls the page again; Esc goes on to the page
      }
      return;
    }
    e.preventDefault();
  }

  private _size(): ICanvasSize {
    const r = this._canvas.getBoundingClientRect();
    // detached or not laid out (tests, hidden tab): use the picture's own size
    return r.width && r.height
      ? { cw: r.width, ch: r.height }
      : { cw: this._natural.w, ch: this._natural.h };
  }

  /** Screen pixels per SVG unit under preserveAspectRatio "meet". */
  private _scale(): number {
    return scaleOf(this._box, this._size());
  }

  /** Whole graph if readable at that size, else its top at a readable scale. */
  private _initialView(): void {
    this._setBox(initialBox(this._natural, this._size()));
  }

  /** Fit the view to a drawn element (a focused group's frame). */
  private _fitTo(g: SVGGElement): void {
    const area = drawnArea(g, this._offset, 12);
    if (area) {
      this._setBox(fitted(area, this._size()));
    }
  }

  private _centerOn(id: string): void {
    const area = drawnArea(this._elements.get(id), this._offset);
    if (area) {
      this._setBox(centred(this._box, area));
    }
  }

  private _setBox(b: IViewBox): void {
    this.setViewBox(b);
    this._options.onViewChange?.(b);
  }

  get viewBox(): IViewBox {
    return { ...this._box };
  }

  /** Show exactly this area (e.g. to follow another view side by side). */
  setViewBox(b: IViewBox): void {
    this._box = b;
    this._svg?.setAttribute('viewBox', `${b.x} ${b.y} ${b.w} ${b.h}`);
    // zoomed out past reading: edge labels and cluster titles hide instead of shrinking
    this._canvas.classList.toggle('tg-far', this._svg !== null && this._scale() < FAR_SCALE);
  }
}
