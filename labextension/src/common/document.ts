/**
 * One traced graph at full size: every view with the shared GraphView, a
 * rewrite stepper, a side-by-side comparison with any other graph of the
 * kernel, values on the nodes (with the first non-finite one) and export.
 * Plain DOM over a graph session, so every host's full-size view is this
 * one (the JupyterLab panel wraps it in a main-area widget, lab/graphdocument.ts).
 */
import { Comparison, IComparisonHost } from './comparison';
import { button, el } from './dom';
import { exportButtons } from './export';
import { GraphJSON } from './graph';
import { GraphView } from './graphview';
import { EntryJSON, PictureJSON } from './messages';
import { UnreadableGraph } from './paneltransport';
import { PendingView } from './pendingview';
import { GraphSession } from './session';
import { Stepper } from './stepper';
import { ITab, TabStrip } from './tabs';
import { GraphValues } from './valuesview';

const TICK_MS = 100;

/** What a host gives its full-size view. */
export interface IDocumentHost {
  /** The graph shown, as its kernel lists it. */
  readonly entry: EntryJSON;
  /** Its session (the host's transport). */
  readonly session: GraphSession;
  /** The other graphs of the kernel, for the comparison. */
  entries(): readonly EntryJSON[];
  /** A session for another graph ``id`` of the kernel. */
  sessionFor(id: string): GraphSession;
  /** Reveal the notebook cell that ran as ``[executionCount]``, at ``line``. */
  goToCell(executionCount: number, line: number): void;
}

/** The graph a view shows and the session that lays it out again when expanded. */
interface IShown {
  session: GraphSession;
  view: string;
  graph: GraphJSON;
}

export class GraphDocumentView implements IComparisonHost {
  readonly node = el('div', 'tg-document tg-root');

  constructor(private readonly _host: IDocumentHost) {
    this.node.tabIndex = -1;
    this._tabs = new TabStrip(mode => this._show(mode));
    this._graphValues = new GraphValues(view => void this._askValues(view));
    this._view = this.makeView(this._graphValues);
    this._graphValues.attach(this._view);
    this._graphValues.show(null);
    this.node.append(this._tabs.node, this._tools, this._message, this._bar, this._main);
    this._message.textContent = 'Loading…';
    this.loaded = this._load();
  }

  /** Resolves once the first reply is drawn (or failed). */
  readonly loaded: Promise<void>;

  get session(): GraphSession {
    return this._host.session;
  }

  get id(): string {
    return this._host.entry.id;
  }

  /** The view on screen: a view name, 'steps' or 'compare'. */
  get mode(): string {
    return this._mode;
  }

  dispose(): void {
    this._showPending(null);
    this.node.remove();
  }

  // -- for the comparison --------------------------------------------------------

  entries(): readonly EntryJSON[] {
    return this._host.entries();
  }

  sessionFor(id: string): GraphSession {
    return this._host.sessionFor(id);
  }

  /** Views drawn now, with their titles, in the order of the offers. */
  drawn(): [string, string][] {
    const { offers, pending, bundle } = this.session.state;
    return offers.views
      .filter(v => !(v.name in pending) && v.name in bundle.views)
      .map(v => [v.name, v.title]);
  }

  showLeft(view: string): void {
    this._paint(this._view, view, this.session.state.pictures[view]);
    this._graphValues.show(view);
  }

  makeView(values?: GraphValues): GraphView {
    const view: GraphView = new GraphView({
      onExpand: id => void this._toggle(view, [id], true),
      onOpenPath: path => void this._toggle(view, path, true),
      onCollapse: id => void this._toggle(view, [id], false),
      onSelect: id => this._onSelect(view, id),
      onViewChange: box => this._comparison?.followView(view, box),
      inspectorExtra: values ? id => values.inspector(id) : undefined,
      wheelZooms: true // the document fills its tab: no page to scroll
    });
    this._main.append(view.element);
    return view;
  }

  showing(view: GraphView, session: GraphSession, name: string, graph: GraphJSON): void {
    this._shown.set(view, { session, view: name, graph });
  }

  toggle(view: GraphView, ids: string[], open: boolean): Promise<void> {
    return this._toggle(view, ids, open);
  }

  // -- loading ---------------------------------------------------------------------

  private async _load(): Promise<void> {
    try {
      await this.session.load();
    } catch (error) {
      this._message.textContent =
        error instanceof UnreadableGraph
          ? error.message
          : `Could not load the graph: ${String(error)}`;
      return;
    }
    this._message.textContent = '';
    this._tools.append(
      ...exportButtons(this.session, () => ({
        name: this._host.entry.name,
        mode: this._mode,
        view: this._view
      }))
    );
    this._tabs.select(this._buildTabs());
  }

  /** Tabs from the offers; returns the one to show. */
  private _buildTabs(): string {
    const { offers, pending } = this.session.state;
    const tabs: ITab[] = offers.views.map(v => ({
      name: v.name,
      title: v.title,
      pending: v.name in pending
    }));
    if (offers.stepper && this.session.stepView()) {
      tabs.push({ name: 'steps', title: 'Rewrite steps' });
    }
    tabs.push({ name: 'compare', title: 'Compare' });
    return this._tabs.setTabs(tabs);
  }

  private _show(mode: string): void {
    const pending = this.session.state.pending;
    this._mode = mode;
    this._bar.replaceChildren();
    this._main.classList.toggle('tg-compare', mode === 'compare');
    this._comparison?.dispose();
    this._comparison = null;
    this._shown.clear();
    this._showPending(mode in pending ? mode : null);
    // A stepper's snapshot has no values; the comparison's left side gets its own.
    const plain = mode !== 'steps' && mode !== 'compare' && !(mode in pending);
    this._graphValues.show(plain ? mode : null);
    if (mode === 'steps') {
      // Shown once: the user may have left, or come back, while the snapshots came.
      const stepper = new Stepper(this.session, this._view, this._bar);
      stepper
        .show(() => this._mode === 'steps' && !this._bar.firstChild)
        .catch(error => {
          this._message.textContent = `Could not load the rewrite steps: ${String(error)}`;
        });
    } else if (mode === 'compare') {
      this._comparison = new Comparison(this, this._view);
      this._comparison.show(this._bar);
    } else if (mode in pending) {
      void this._build(mode);
    } else {
      this._paint(this._view, mode, this.session.state.pictures[mode]);
    }
  }

  // -- pending views and values --------------------------------------------------

  /** In place of the picture: what the kernel is doing for ``view`` (null: the picture). */
  private _showPending(view: string | null): void {
    this._waiting?.element.remove();
    this._waiting = null;
    if (this._ticker !== null) {
      clearInterval(this._ticker);
      this._ticker = null;
    }
    this._view.element.hidden = view !== null;
    const pending = view === null ? undefined : this.session.pendingOf(view);
    if (!pending) {
      return;
    }
    const waiting = new PendingView(pending);
    this._waiting = waiting;
    this._main.prepend(waiting.element);
    this._ticker = setInterval(() => waiting.update(), TICK_MS);
  }

  /** Ask the kernel to build ``view`` (once), then draw from its fresh reply. */
  private async _build(view: string): Promise<void> {
    const asked = this.session.buildView(view);
    if (!asked) {
      return;
    }
    const shown = this.session.pendingOf(view);
    if (shown) {
      this._waiting?.setPending(shown);
    }
    try {
      await asked;
    } catch (error) {
      this._message.textContent =
        error instanceof UnreadableGraph ? error.message : `Could not build ${view}: ${error}`;
      return;
    }
    const keep = this._mode;
    this._buildTabs();
    this._tabs.select(keep); // redraws the view on screen, built now or still waiting
  }

  /** Ask the kernel for the values of ``view`` (once; again only after a failure). */
  private async _askValues(view: string): Promise<void> {
    try {
      await this.session.askValues(view);
      this._graphValues.setValues(this.session.state.values);
    } catch (error) {
      this._message.textContent = `Could not compute the values of ${view}: ${String(error)}`;
    }
  }

  // -- pictures ------------------------------------------------------------------------

  private _paint(view: GraphView, mode: string, picture: PictureJSON | undefined): void {
    const graph = this.session.state.bundle.views[mode];
    if (!graph || !picture) {
      return;
    }
    this.showing(view, this.session, mode, graph);
    view.setGraph(graph, picture.svg ?? '', { ...(picture.meta ?? {}), error: picture.error });
  }

  /** Expand or collapse a subgraph of what ``view`` shows: the kernel lays it out again. */
  private async _toggle(view: GraphView, toggled: string[], open: boolean): Promise<void> {
    const shown = this._shown.get(view);
    if (!shown) {
      return; // the stepper's pictures stay as the rewrites left them
    }
    const ids = new Set(shown.session.state.expanded[shown.view] ?? []);
    for (const id of toggled) {
      if (open) {
        ids.add(id);
      } else {
        ids.delete(id);
      }
    }
    try {
      await shown.session.expand(shown.view, [...ids]);
    } catch (error) {
      this._message.textContent = error instanceof Error ? error.message : String(error);
      return;
    }
    this._message.textContent = '';
    const picture = shown.session.state.pictures[shown.view];
    if (this._shown.get(view) === shown && picture) {
      view.setGraph(shown.graph, picture.svg ?? '', picture.meta ?? {});
      this._comparison?.laidOut(view, toggled, open);
    }
  }

  private _onSelect(view: GraphView, id: string | null): void {
    if (view === this._view) {
      this._showSource(id);
    }
    this._comparison?.follow(view, id);
  }

  private _showSource(id: string | null): void {
    this._tools.querySelector('.tg-goto')?.remove();
    const { bundle } = this.session.state;
    const node = id ? bundle.views[this._mode]?.nodes.find(n => n.id === id) : undefined;
    const cell = bundle.cell;
    if (!node?.source || cell === null || cell === undefined) {
      return;
    }
    const line = node.source.line;
    this._tools.prepend(
      button(
        `Go to cell [${cell}], line ${line}`,
        'tg-goto',
        'Show this line in the notebook',
        () => this._host.goToCell(cell, line)
      )
    );
  }

  private _mode = 'original';
  private _tabs: TabStrip;
  private _tools = el('div', 'tg-document-tools');
  private _message = el('p', 'tg-document-message');
  /** The stepper's or the comparison's controls. */
  private _bar = el('div', 'tg-stepper');
  private _main = el('div', 'tg-document-main');
  private _view: GraphView;
  /** The main view's values: its bar, inspector rows and the first non-finite node. */
  private _graphValues: GraphValues;
  private _comparison: Comparison | null = null;
  private _shown = new Map<GraphView, IShown>();
  private _waiting: PendingView | null = null;
  private _ticker: ReturnType<typeof setInterval> | null = null;
}
