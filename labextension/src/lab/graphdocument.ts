/**
 * One traced graph at full size in the main area: every view with the shared
 * GraphView, a rewrite stepper, a side-by-side comparison with any other
 * graph of the kernel, values on the nodes (with the first non-finite one)
 * and export. Pictures and values come from the kernel over the
 * panel's comm; nothing here runs code in the kernel.
 */
import { Widget } from '@lumino/widgets';

import { IPairing, pairNodes } from '../common/compare';
import { button, el, save, text } from '../common/dom';
import { GraphBundleJSON, GraphJSON, RewriteJSON } from '../common/graph';
import { viewTitle } from '../common/graphmodel';
import { isGraphBundleJSON, isGraphJSON } from '../common/validators.generated';
import { GraphView } from '../common/graphview';
import { IKernelLink } from './kernellink';
import {
  EntryJSON,
  GraphReply,
  OffersJSON,
  PendingJSON,
  PictureJSON,
  StepsReply,
  ViewValuesJSON
} from '../common/messages';
import { PendingView } from '../common/pendingview';
import { explainRewrite } from '../common/rewritesview';
import { ITab, TabStrip } from '../common/tabs';
import { GraphValues } from '../common/valuesview';

/** The graph a view shows and where it comes from in the kernel. */
interface ISource {
  entry: string;
  view: string;
  graph: GraphJSON;
  expanded: string[];
}

const TICK_MS = 100;

/** A rewrite that carries the graph right after it: one stop of the stepper. */
export interface IStep extends RewriteJSON {
  graph: GraphJSON;
}

export function stepsOf(bundle: GraphBundleJSON, view: string): IStep[] {
  if (!bundle.rewrite_start?.[view]) {
    return [];
  }
  return bundle.rewrites.filter((r): r is IStep => (r.view ?? 'optimized') === view && !!r.graph);
}

/** Rasterise an SVG string at twice its size. */
export function toPng(svgText: string): Promise<Blob> {
  return new Promise((resolve, reject) => {
    const image = new Image();
    const url = URL.createObjectURL(new Blob([svgText], { type: 'image/svg+xml' }));
    image.onload = () => {
      const canvas = document.createElement('canvas');
      canvas.width = image.width * 2;
      canvas.height = image.height * 2;
      const context = canvas.getContext('2d');
      if (!context) {
        reject(new Error('no canvas'));
        return;
      }
      context.fillStyle = 'white';
      context.fillRect(0, 0, canvas.width, canvas.height);
      context.drawImage(image, 0, 0, canvas.width, canvas.height);
      URL.revokeObjectURL(url);
      canvas.toBlob(b => (b ? resolve(b) : reject(new Error('PNG failed'))), 'image/png');
    };
    image.onerror = () => reject(new Error('the SVG could not be drawn'));
    image.src = url;
  });
}

const EXPORT_TITLES: Record<string, string> = {
  SVG: 'Save the picture as SVG',
  PNG: 'Save the picture as PNG',
  DOT: 'Save the Graphviz source',
  JSON: 'Save the graph in the tgraph format'
};

export class GraphDocument extends Widget {
  constructor(
    private readonly _link: IKernelLink,
    readonly entry: EntryJSON,
    private readonly _goToCell: (executionCount: number, line: number) => void
  ) {
    super();
    this.addClass('tg-document');
    this.addClass('tg-root');
    this.node.tabIndex = -1;
    this._tabs = new TabStrip(mode => this._show(mode));
    this._tools = el('div', 'tg-document-tools');
    this._message = el('p', 'tg-document-message');
    this._stepper = el('div', 'tg-stepper');
    this._main = el('div', 'tg-document-main');
    this._graphValues = new GraphValues(view => void this._askValues(view));
    this._view = this._makeView(this._main, this._graphValues);
    this._graphValues.attach(this._view);
    this._graphValues.show(null);
    this.node.append(this._tabs.node, this._tools, this._message, this._stepper, this._main);
    this._message.textContent = 'Loading…';
    this._loaded = this._load();
  }

  /** Resolves once the first reply is drawn (or failed). */
  get loaded(): Promise<void> {
    return this._loaded;
  }

  dispose(): void {
    this._showPending(null);
    super.dispose();
  }

  /** The view on screen: a view name, 'steps' or 'compare'. */
  get mode(): string {
    return this._mode;
  }

  private _makeView(host: HTMLElement, values?: GraphValues): GraphView {
    const view: GraphView = new GraphView({
      onExpand: id => this._toggle(view, id, true),
      onCollapse: id => this._toggle(view, id, false),
      onSelect: id => this._onSelect(view, id),
      onViewChange: box => this._partnerOf(view)?.setViewBox(box),
      inspectorExtra: values ? id => values.inspector(id) : undefined,
      wheelZooms: true // the document fills its tab: no page to scroll
    });
    host.append(view.element);
    return view;
  }

  /** In the comparison, the other side of ``view``. */
  private _partnerOf(view: GraphView): GraphView | null {
    if (this._mode !== 'compare' || !this._other) {
      return null;
    }
    return view === this._view ? this._other : this._view;
  }

  private _onSelect(view: GraphView, id: string | null): void {
    if (view === this._view) {
      this._showSource(id);
    }
    const partner = this._partnerOf(view);
    if (!partner || this._selecting) {
      return;
    }
    const map = view === this._view ? this._pairs : this._pairsBack;
    this._selecting = true;
    partner.select(id ? (map.get(id) ?? null) : null);
    this._selecting = false;
  }

  private async _load(): Promise<void> {
    let reply: GraphReply;
    try {
      reply = await this._link.request({ type: 'get', id: this.entry.id }, 'graph');
    } catch (error) {
      this._message.textContent = `Could not load the graph: ${String(error)}`;
      return;
    }
    if (!this._take(reply)) {
      return;
    }
    this._message.textContent = '';
    this._tools.append(
      ...['SVG', 'PNG', 'DOT', 'JSON'].map(format => {
        const b = button(format, 'tg-export', EXPORT_TITLES[format], () =>
          this._export(format.toLowerCase())
        );
        b.dataset.format = format.toLowerCase();
        return b;
      })
    );
    this._tabs.select(this._buildTabs());
  }

  /** Keep what a `graph` reply says; false (and why, shown) when it is no graph. */
  private _take(reply: GraphReply): boolean {
    if (!isGraphBundleJSON(reply.bundle)) {
      this._message.textContent = 'The kernel sent a graph this version cannot read.';
      return false;
    }
    this._bundle = reply.bundle;
    this._offers = reply.offers;
    this._layouts = reply.layouts;
    this._pending = reply.pending;
    this._steps = reply.steps;
    this._stepsLoaded.clear();
    return true;
  }

  /** Tabs from the offers; returns the one to show. */
  private _buildTabs(): string {
    const offers = this._offers!;
    const tabs: ITab[] = offers.views.map(v => ({
      name: v.name,
      title: v.title,
      pending: v.name in this._pending
    }));
    if (offers.stepper && this._stepView()) {
      tabs.push({ name: 'steps', title: 'Rewrite steps' });
    }
    tabs.push({ name: 'compare', title: 'Compare' });
    return this._tabs.setTabs(tabs);
  }

  /** The first view with recorded steps, in the order of the offers. */
  private _stepView(): string | null {
    return this._offers!.views.map(v => v.name).find(v => (this._steps[v] ?? 0) > 0) ?? null;
  }

  /** Views drawn now, with their titles, in the order of the offers. */
  private _drawn(): [string, string][] {
    return this._offers!.views.filter(
      v => !(v.name in this._pending) && v.name in this._bundle!.views
    ).map(v => [v.name, v.title]);
  }

  private _show(mode: string): void {
    this._mode = mode;
    this._stepper.replaceChildren();
    this._main.classList.toggle('tg-compare', mode === 'compare');
    this._other?.dispose();
    this._other = null;
    this._pairing = null;
    this._sources.clear();
    this._showPending(mode in this._pending ? mode : null);
    // A stepper's snapshot has no values; the comparison's left side gets its own.
    const plain = mode !== 'steps' && mode !== 'compare' && !(mode in this._pending);
    this._graphValues.show(plain ? mode : null);
    if (mode === 'steps') {
      void this._showSteps();
    } else if (mode === 'compare') {
      this._showCompare();
    } else if (mode in this._pending) {
      void this._build(mode);
    } else {
      this._paint(this._view, mode, this._layouts[mode]);
    }
  }

  /** In place of the picture: what the kernel is doing for ``view`` (null: the picture). */
  private _showPending(view: string | null): void {
    this._waiting?.element.remove();
    this._waiting = null;
    if (this._ticker !== null) {
      clearInterval(this._ticker);
      this._ticker = null;
    }
    this._view.element.hidden = view !== null;
    if (view === null) {
      return;
    }
    const waiting = new PendingView(this._pendingOf(view));
    this._waiting = waiting;
    this._main.prepend(waiting.element);
    this._ticker = setInterval(() => waiting.update(), TICK_MS);
  }

  /** A pending view as shown: from the moment it was asked for, if the kernel has not said. */
  private _pendingOf(view: string): PendingJSON {
    const pending = this._pending[view];
    const asked = this._asked.get(view);
    return pending.started === null && asked !== undefined
      ? { ...pending, started: asked }
      : pending;
  }

  /** Ask the kernel to build ``view`` (once), then draw from its fresh reply. */
  private async _build(view: string): Promise<void> {
    if (this._asked.has(view)) {
      return;
    }
    this._asked.set(view, Date.now() / 1000);
    this._waiting?.setPending(this._pendingOf(view));
    let reply: GraphReply;
    try {
      reply = await this._link.request({ type: 'build', id: this.entry.id, view }, 'graph');
    } catch (error) {
      this._message.textContent = `Could not build ${view}: ${String(error)}`;
      return;
    }
    if (!this._take(reply)) {
      return;
    }
    this._asked.delete(view);
    const keep = this._mode;
    this._buildTabs();
    this._tabs.select(keep); // redraws the view on screen, built now or still waiting
  }

  /** Ask the kernel for the values of ``view`` (once; again only after a failure). */
  private async _askValues(view: string): Promise<void> {
    if (this._valuesAsked.has(view)) {
      return;
    }
    this._valuesAsked.add(view);
    try {
      const reply = await this._link.request({ type: 'values', id: this.entry.id, view }, 'values');
      // Filed under the view the reply names: two views' replies may cross.
      this._valuesFound = { ...this._valuesFound, [reply.view]: reply.values };
      this._graphValues.setValues(this._valuesFound);
    } catch (error) {
      this._valuesAsked.delete(view);
      this._message.textContent = `Could not compute the values of ${view}: ${String(error)}`;
    }
  }

  private _graphOf(mode: string): GraphJSON | undefined {
    return this._bundle?.views[mode];
  }

  private _paint(view: GraphView, mode: string, layout: PictureJSON | undefined): void {
    const graph = this._graphOf(mode);
    if (!graph || !layout) {
      return;
    }
    this._showing(view, this.entry.id, mode, graph);
    view.setGraph(graph, layout.svg ?? '', { ...(layout.meta ?? {}), error: layout.error });
  }

  /** Expand or collapse a subgraph of what ``view`` shows: the kernel lays it out again. */
  private async _toggle(view: GraphView, id: string, open: boolean): Promise<void> {
    const source = this._sources.get(view);
    if (!source) {
      return; // the stepper's pictures stay as the rewrites left them
    }
    const shown = new Set(source.expanded);
    if (open) {
      shown.add(id);
    } else {
      shown.delete(id);
    }
    const reply = await this._link.request(
      { type: 'layout', id: source.entry, view: source.view, expanded: [...shown] },
      'layout'
    );
    if (reply.error) {
      this._message.textContent = reply.error;
      return;
    }
    this._message.textContent = '';
    source.expanded = [...shown];
    if (source.entry === this.entry.id) {
      this._expanded[source.view] = source.expanded;
      this._layouts[source.view] = reply;
    }
    if (this._sources.get(view) === source) {
      view.setGraph(source.graph, reply.svg ?? '', reply.meta ?? {});
      this._markPairs();
    }
  }

  /** What a view shows, so that expanding asks the kernel for the right picture. */
  private _showing(view: GraphView, entry: string, name: string, graph: GraphJSON): void {
    const expanded = entry === this.entry.id ? (this._expanded[name] ?? []) : [];
    this._sources.set(view, { entry, view: name, graph, expanded });
  }

  private _showSource(id: string | null): void {
    this._tools.querySelector('.tg-goto')?.remove();
    const node = id ? this._graphOf(this._mode)?.nodes.find(n => n.id === id) : undefined;
    const cell = this._bundle?.cell;
    if (!node?.source || cell === null || cell === undefined) {
      return;
    }
    const line = node.source.line;
    this._tools.prepend(
      button(
        `Go to cell [${cell}], line ${line}`,
        'tg-goto',
        'Show this line in the notebook',
        () => this._goToCell(cell, line)
      )
    );
  }

  // -- rewrite stepper ---------------------------------------------------------

  /**
   * The stepper's snapshots of ``view`` into the bundle, fetched once: the
   * first paint goes without them (they are most of a big bundle).
   */
  private async _loadSteps(view: string): Promise<boolean> {
    if (this._stepsLoaded.has(view)) {
      return true;
    }
    let reply: StepsReply;
    try {
      reply = await this._link.request({ type: 'steps', id: this.entry.id, view }, 'steps');
    } catch (error) {
      this._message.textContent = `Could not load the rewrite steps: ${String(error)}`;
      return false;
    }
    const bundle = this._bundle!;
    if (isGraphJSON(reply.start)) {
      bundle.rewrite_start = { ...bundle.rewrite_start, [view]: reply.start };
    }
    bundle.rewrites = bundle.rewrites.map(r => {
      const graph = reply.snapshots[String(r.step)];
      return (r.view ?? 'optimized') === view && isGraphJSON(graph) ? { ...r, graph } : r;
    });
    this._stepsLoaded.add(view);
    return true;
  }

  private async _showSteps(): Promise<void> {
    const view = this._stepView() ?? 'optimized';
    // Shown once: the user may have left, or come back, while the snapshots came.
    if (!(await this._loadSteps(view)) || this._mode !== 'steps' || this._stepper.firstChild) {
      return;
    }
    const steps = stepsOf(this._bundle!, view);
    const slider = el('input', 'tg-step-slider');
    slider.type = 'range';
    slider.min = '0';
    slider.max = String(steps.length);
    slider.value = '0';
    slider.setAttribute('aria-label', 'Rewrite step');
    const label = el('span', 'tg-step-label');
    label.setAttribute('aria-live', 'polite');
    const about = el('div', 'tg-step-about');
    const go = (k: number) => {
      slider.value = String(Math.max(0, Math.min(steps.length, k)));
      void this._step(view, steps, Number(slider.value), label);
      const step = steps[Number(slider.value) - 1];
      about.replaceChildren(
        ...(step
          ? [
              explainRewrite(step, name =>
                this._link.request({ type: 'source', id: this.entry.id, name }, 'source')
              )
            ]
          : [])
      );
    };
    slider.addEventListener('input', () => go(Number(slider.value)));
    this._stepper.append(
      button('◀', 'tg-step-prev', 'Previous rewrite', () => go(Number(slider.value) - 1)),
      slider,
      button('▶', 'tg-step-next', 'Next rewrite', () => go(Number(slider.value) + 1)),
      label,
      about
    );
    go(0);
  }

  private async _step(view: string, steps: IStep[], k: number, label: HTMLElement): Promise<void> {
    const reply = await this._link.request(
      { type: 'layout', id: this.entry.id, view, step: k, expanded: [] },
      'layout'
    );
    const start = this._bundle!.rewrite_start?.[view];
    const graph = k === 0 ? start : steps[k - 1].graph;
    if (!graph) {
      return;
    }
    this._view.setGraph(graph, reply.svg ?? '', { ...(reply.meta ?? {}), error: reply.error });
    if (k === 0) {
      label.textContent = `Step 0 of ${steps.length}: the graph before any rewrite`;
      return;
    }
    const step = steps[k - 1];
    label.textContent =
      `Step ${k} of ${steps.length}: ${step.name} replaced ${step.replaced} ` +
      `with ${step.replacement}`;
    this._view.highlight(step.created, 'tg-step-created');
    const next = steps[k];
    if (next) {
      this._view.highlight(next.removed ?? [], 'tg-step-removed');
    }
  }

  // -- compare -----------------------------------------------------------------

  private _showCompare(): void {
    const bundle = this._bundle!;
    const pick = el('select', 'tg-compare-pick');
    pick.setAttribute('aria-label', 'Graph to compare with');
    const drawn = this._drawn();
    const choices: [string, string, string][] = drawn.map(([v, title]) => [
      this.entry.id,
      v,
      `${bundle.target}: ${title}`
    ]);
    for (const other of this._link.model.entries) {
      if (other.id !== this.entry.id) {
        for (const v of Object.keys(other.nodes).filter(v => !other.pending.includes(v))) {
          choices.push([other.id, v, `${other.name} [${other.cell ?? ''}]: ${viewTitle(v)}`]);
        }
      }
    }
    const left = el('select', 'tg-compare-pick');
    left.setAttribute('aria-label', 'Graph on the left');
    for (const [v, title] of drawn) {
      left.append(new Option(`${bundle.target}: ${title}`, v));
    }
    choices.forEach(([, , title], i) => pick.append(new Option(title, String(i))));
    // Original against optimized is what people compare first.
    pick.value = String(Math.min(1, choices.length - 1));
    const summary = el('span', 'tg-compare-summary');
    summary.setAttribute('aria-live', 'polite');
    const run = () => {
      const [id, view] = choices[Number(pick.value)];
      void this._compare(left.value, id, view, summary);
    };
    left.addEventListener('change', run);
    pick.addEventListener('change', run);
    this._stepper.append(left, text('span', '', 'against'), pick, summary);
    this._other = this._makeView(this._main);
    this._other.element.classList.add('tg-compare-right');
    run();
  }

  private async _compare(
    leftView: string,
    otherId: string,
    otherView: string,
    summary: HTMLElement
  ): Promise<void> {
    let graph: GraphJSON | undefined;
    let layout: PictureJSON | undefined;
    if (otherId === this.entry.id) {
      graph = this._graphOf(otherView);
      layout = this._layouts[otherView];
    } else {
      // another graph of the kernel: it opens collapsed
      const reply = await this._link.request({ type: 'get', id: otherId }, 'graph');
      graph = isGraphBundleJSON(reply.bundle) ? reply.bundle.views[otherView] : undefined;
      layout = reply.layouts[otherView];
    }
    const right = this._other;
    const leftGraph = this._graphOf(leftView);
    if (!right || !graph || !layout || !leftGraph) {
      return;
    }
    this._paint(this._view, leftView, this._layouts[leftView]);
    this._graphValues.show(leftView);
    right.setGraph(graph, layout.svg ?? '', layout.meta ?? {});
    this._showing(right, otherId, otherView, graph);
    const pairs = pairNodes(leftGraph, graph);
    this._pairing = pairs;
    this._markPairs();
    summary.textContent =
      `${pairs.pairs.length} nodes paired, ${pairs.onlyLeft.length} only on the left, ` +
      `${pairs.onlyRight.length} only on the right`;
    this._pairs = new Map(pairs.pairs);
    this._pairsBack = new Map(pairs.pairs.map(([a, b]) => [b, a]));
    right.setViewBox(this._view.viewBox);
  }

  /** Mark the nodes found on one side only; again after either side is laid out anew. */
  private _markPairs(): void {
    if (this._mode !== 'compare' || !this._pairing || !this._other) {
      return;
    }
    this._view.highlight(this._pairing.onlyLeft, 'tg-only');
    this._other.highlight(this._pairing.onlyRight, 'tg-only');
  }

  private async _export(format: string): Promise<void> {
    const name = `${this.entry.name}-${this._mode}`;
    const svg = this._view.getSvg();
    if (format === 'svg') {
      save(`${name}.svg`, new Blob([svg], { type: 'image/svg+xml' }));
    } else if (format === 'png') {
      save(`${name}.png`, await toPng(svg));
    } else if (format === 'json') {
      const graph = this._graphOf(this._mode) ?? this._bundle?.views.original;
      const data = { version: 1, target: this.entry.name, view: this._mode, graph };
      save(`${name}.json`, new Blob([JSON.stringify(data, null, 1)], { type: 'application/json' }));
    } else if (format === 'dot') {
      const view = this._graphOf(this._mode) ? this._mode : 'original';
      const reply = await this._link.request(
        { type: 'dot', id: this.entry.id, view, expanded: this._expanded[view] ?? [] },
        'dot'
      );
      save(`${name}.dot`, new Blob([reply.dot], { type: 'text/vnd.graphviz' }));
    }
  }

  private _bundle: GraphBundleJSON | null = null;
  private _offers: OffersJSON | null = null;
  private _layouts: Record<string, PictureJSON> = {};
  private _pending: Record<string, PendingJSON> = {};
  /** View name -> how many stepper snapshots the kernel holds; those fetched. */
  private _steps: Record<string, number> = {};
  private _stepsLoaded = new Set<string>();
  /** Views asked for, and when (epoch seconds). */
  private _asked = new Map<string, number>();
  private _waiting: PendingView | null = null;
  private _ticker: ReturnType<typeof setInterval> | null = null;
  private _loaded: Promise<void>;
  private _expanded: Record<string, string[]> = {};
  private _mode = 'original';
  private _view: GraphView;
  /** The main view's values: its bar, inspector rows and the first non-finite node. */
  private _graphValues: GraphValues;
  private _valuesAsked = new Set<string>();
  private _valuesFound: Record<string, ViewValuesJSON> = {};
  private _other: GraphView | null = null;
  private _tabs: TabStrip;
  private _tools: HTMLDivElement;
  private _message: HTMLParagraphElement;
  private _stepper: HTMLDivElement;
  private _main: HTMLDivElement;
  private _sources = new Map<GraphView, ISource>();
  private _pairing: IPairing | null = null;
  private _pairs = new Map<string, string>();
  private _pairsBack = new Map<string, string>();
  private _selecting = false;
}
