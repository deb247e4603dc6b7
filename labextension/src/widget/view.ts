/**
 * The inline widget's DOM: tabs from what the graph offers, a panel per tab
 * (a graph view, a pending view, the rewrites, a text dump), notes, status
 * and the timing section, all drawn from the graph session and redrawn
 * where an update concerns them.
 */
import { el, text } from '../common/dom';
import { GraphView } from '../common/graphview';
import { PendingView } from '../common/pendingview';
import { groupRewrites, rewritesView } from '../common/rewritesview';
import { GraphSession, StateKey } from '../common/session';
import { ITab, TabStrip } from '../common/tabs';
import { textView } from '../common/textview';
import { IGraphState } from '../common/transport';
import { GraphValues, numbersView } from '../common/valuesview';
import { TimingSection } from './timing';

const REWRITES = 'rewrites';
const TEXT = 'text:';
const TICK_MS = 100;
/** The view the Rewrites tab compares with the graph as written. */
const NUMBERS_VIEW = 'optimized';

/** The tabs a graph offers, in order; a pending view's tab is marked. */
export function tabsOf(state: IGraphState): ITab[] {
  const { offers, pending } = state;
  const tabs: ITab[] = offers.views.map(v => ({
    name: v.name,
    title: v.title,
    pending: v.name in pending
  }));
  if (offers.rewrites) {
    const { groups } = groupRewrites(state.bundle.rewrites, offers.views, offers.show_noise);
    const count = groups.reduce((n, g) => n + g.rewrites.length, 0);
    tabs.push({ name: REWRITES, title: `Rewrites (${count})` });
  }
  for (const t of offers.texts) {
    tabs.push({ name: TEXT + t.key, title: t.title });
  }
  return tabs;
}

export class WidgetView {
  readonly root = el('div', 'tg-root');

  constructor(private readonly _session: GraphSession) {
    this._tabs = new TabStrip(name => this._activate(name));
    this._error.setAttribute('role', 'alert');
    this._timing = new TimingSection(_session, (view, ids) => this._showNodes(view, ids));
    this.root.append(
      this._tabs.node,
      this._notes,
      this._error,
      this._panels,
      this._status,
      this._timing.node
    );
  }

  /** Draw everything from the session's state (the first render). */
  showAll(): void {
    this._build();
    this._showStatus();
    this._timing.showAll();
  }

  /** Redraw what an update concerns (any answer ends "laying out…"). */
  update(keys: Set<StateKey>): void {
    if (keys.has('bundle') || keys.has('offers') || keys.has('pending')) {
      this._build();
    }
    this._timing.update(keys);
    if (keys.has('pictures')) {
      this._syncGraphs();
    }
    if (['status', 'error', 'pictures', 'expanded'].some(k => keys.has(k as StateKey))) {
      this._showStatus();
    }
    if (keys.has('profile')) {
      this._timing.heat(this._views);
    }
    if (keys.has('values')) {
      this._onValues();
    }
  }

  dispose(): void {
    if (this._ticker !== null) {
      clearInterval(this._ticker);
    }
    for (const v of this._views.values()) {
      v.dispose();
    }
    this._timing.dispose();
  }

  // -- graph views ----------------------------------------------------------------

  private _graphView(view: string): GraphView {
    let v = this._views.get(view);
    if (!v) {
      v = new GraphView({
        onExpand: id => this._expand(view, ids => ids.add(id)),
        onOpenPath: path => this._expand(view, ids => path.forEach(id => ids.add(id))),
        onCollapse: id => this._expand(view, ids => ids.delete(id)),
        inspectorExtra: id => this._graphValues.get(view)?.inspector(id) ?? null
      });
      this._views.set(view, v);
      const shown = new GraphValues(name => void this._session.askValues(name), view);
      shown.setValues(this._session.state.values);
      shown.attach(v);
      this._graphValues.set(view, shown);
    }
    return v;
  }

  private _expand(view: string, change: (ids: Set<string>) => void): void {
    const ids = new Set(this._session.state.expanded[view] ?? []);
    change(ids);
    void this._session.expand(view, Array.from(ids));
    this._status.textContent = 'laying out…';
  }

  private _showNodes(view: string, ids: string[]): void {
    if (!this._views.has(view) && !this._tabs.names.includes(view)) {
      return;
    }
    this._tabs.select(view);
    const v = this._graphView(view);
    v.clearHighlight('tg-flash');
    v.highlight(ids, 'tg-flash');
  }

  /** (Re)mount the SVG of each drawn view that changed. */
  private _syncGraphs(): void {
    const { pictures, bundle } = this._session.state;
    for (const [view, v] of this._views) {
      const picture = pictures[view];
      const svg = picture?.svg ?? '';
      const graph = bundle.views[view];
      if (graph && this._shownSvg.get(view) !== svg) {
        this._shownSvg.set(view, svg);
        v.setGraph(graph, svg, picture?.meta ?? {});
      }
    }
    this._timing.heat(this._views);
  }

  private _onValues(): void {
    const found = this._session.state.values;
    for (const shown of this._graphValues.values()) {
      shown.setValues(found);
    }
    const rewrites = this._panelOf(REWRITES);
    if (rewrites?.hasChildNodes()) {
      this._fill(REWRITES, rewrites);
    }
  }

  // -- tabs and panels ---------------------------------------------------------------

  private _panelOf(name: string): HTMLElement | null {
    return (
      Array.from(this._panels.children).find(
        (p): p is HTMLElement => p instanceof HTMLElement && p.dataset.view === name
      ) ?? null
    );
  }

  /** What a panel holds now, so a change redraws only the panels it concerns. */
  private _kindOf(name: string): string {
    if (name === REWRITES || name.startsWith(TEXT)) {
      return name;
    }
    return name in this._session.state.pending ? 'pending' : 'graph';
  }

  private _fill(name: string, panel: HTMLElement): void {
    const { bundle, pending } = this._session.state;
    panel.dataset.kind = this._kindOf(name);
    if (name === REWRITES) {
      this._fillRewrites(panel);
    } else if (name.startsWith(TEXT)) {
      const content = bundle.info[name.slice(TEXT.length)];
      panel.replaceChildren(textView(typeof content === 'string' ? content : ''));
    } else if (name in pending) {
      const pv = new PendingView(pending[name]);
      this._waiting.set(name, pv);
      panel.replaceChildren(pv.element);
      void this._session.buildView(name)?.catch(() => undefined);
    } else {
      this._waiting.delete(name);
      panel.replaceChildren(this._graphView(name).element);
      this._syncGraphs();
    }
    this._syncTicker();
  }

  private _fillRewrites(panel: HTMLElement): void {
    const session = this._session;
    const { bundle, offers, pending, values } = session.state;
    const grouped = groupRewrites(bundle.rewrites, offers.views, offers.show_noise);
    const building = offers.views.filter(v => v.name in pending).map(v => v.title);
    panel.replaceChildren(
      rewritesView(grouped, building, {
        onShow: (view, ids) => this._showNodes(view, ids),
        isDrawn: view => view in session.state.bundle.views,
        source: name => session.source(name)
      })
    );
    if (bundle.rewrites.some(r => r.view === NUMBERS_VIEW)) {
      panel.append(
        numbersView(values[NUMBERS_VIEW], session.valuesAsked(NUMBERS_VIEW), () => {
          void session.askValues(NUMBERS_VIEW);
          this._fill(REWRITES, panel);
        })
      );
    }
  }

  private _activate(name: string): void {
    for (const panel of Array.from(this._panels.children)) {
      if (panel instanceof HTMLElement) {
        const on = panel.dataset.view === name;
        panel.hidden = !on;
        if (on && !panel.hasChildNodes()) {
          this._fill(name, panel);
        }
      }
    }
    this._showNotes();
  }

  private _showNotes(): void {
    const b = this._session.state.bundle;
    const lines = Array.from(new Set(b.notes.concat(b.views[this._tabs.active]?.notes ?? [])));
    this._notes.replaceChildren(...lines.map(n => text('li', '', n)));
    this._notes.hidden = lines.length === 0;
  }

  private _showStatus(): void {
    const { status, error } = this._session.state;
    this._status.textContent = status;
    this._error.textContent = error;
    this._error.hidden = !error;
  }

  /** A clock runs while some pending view is drawn, and only then. */
  private _syncTicker(): void {
    if (this._waiting.size && this._ticker === null) {
      this._ticker = setInterval(() => {
        const now = Date.now() / 1000;
        for (const pv of this._waiting.values()) {
          pv.update(now);
        }
      }, TICK_MS);
    } else if (!this._waiting.size && this._ticker !== null) {
      clearInterval(this._ticker);
      this._ticker = null;
    }
  }

  /** Tabs and panels for the current offers, bundle and pending views. */
  private _build(): void {
    const list = tabsOf(this._session.state);
    const names = list.map(t => t.name);
    const active = this._tabs.setTabs(list);
    for (const panel of Array.from(this._panels.children)) {
      const name = panel instanceof HTMLElement ? (panel.dataset.view ?? '') : '';
      if (!names.includes(name)) {
        panel.remove();
        this._views.get(name)?.dispose();
        this._views.delete(name);
        this._shownSvg.delete(name);
        this._waiting.delete(name);
      }
    }
    for (const name of names) {
      this._panels.append(this._panelFor(name)); // in tab order
    }
    this._activate(active);
    this._syncTicker();
  }

  /** The panel of tab ``name``, refilled where what it shows has changed kind. */
  private _panelFor(name: string): HTMLElement {
    const pending = this._session.state.pending;
    let panel = this._panelOf(name);
    if (!panel) {
      panel = el('div', 'tg-panel');
      panel.dataset.view = name;
      panel.setAttribute('role', 'tabpanel');
    } else if (panel.hasChildNodes()) {
      if (panel.dataset.kind !== this._kindOf(name) || !(name in pending)) {
        this._fill(name, panel); // built since, or rewrites/text that came with a view
      } else if (name in pending) {
        this._waiting.get(name)?.setPending(pending[name]);
      }
    }
    return panel;
  }

  private _tabs: TabStrip;
  private _notes = el('ul', 'tg-notes');
  private _error = el('div', 'tg-error');
  private _panels = el('div', 'tg-panels');
  private _status = el('div', 'tg-status');
  private _timing: TimingSection;
  private _views = new Map<string, GraphView>();
  private _graphValues = new Map<string, GraphValues>();
  private _waiting = new Map<string, PendingView>();
  private _shownSvg = new Map<string, string>();
  private _ticker: ReturnType<typeof setInterval> | null = null;
}
