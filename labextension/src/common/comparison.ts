/**
 * The comparison of a full-size view: a view of this graph on the left,
 * any drawn view of any graph of the kernel on the right, groups then
 * nodes paired (compare.ts), those on one side only and the changed groups
 * marked, selection, pan/zoom and the opening of groups kept in step.
 */
import { IChange, IPairing, pairNodes } from './compare';
import { changeList, followBox, markSides, summaryText } from './comparemarks';
import { el, text } from './dom';
import { GraphJSON } from './graph';
import { STRUCTURE_KINDS } from './grouptree';
import { viewTitle } from './graphmodel';
import { GraphView, IViewBox } from './graphview';
import { EntryJSON } from './messages';
import { GraphSession } from './session';

/** What the comparison needs of its document. */
export interface IComparisonHost {
  /** The document's graph and its id. */
  readonly session: GraphSession;
  readonly id: string;
  /** The other graphs of the kernel. */
  entries(): readonly EntryJSON[];
  /** A session for graph ``id`` of the kernel. */
  sessionFor(id: string): GraphSession;
  /** Views of this graph drawn now, with their titles. */
  drawn(): [string, string][];
  /** Show ``view`` of this graph on the left. */
  showLeft(view: string): void;
  /** A new graph view in the document's main area. */
  makeView(): GraphView;
  /** What ``view`` shows, so that expanding asks the right session for the right picture. */
  showing(view: GraphView, session: GraphSession, name: string, graph: GraphJSON): void;
  /** Open (or close) subgraphs ``ids`` of what ``view`` shows; resolves once it is drawn again. */
  toggle(view: GraphView, ids: string[], open: boolean): Promise<void>;
}

export class Comparison {
  constructor(
    private readonly _host: IComparisonHost,
    private readonly _left: GraphView
  ) {}

  /** Pickers into ``bar``, the right side into the main area, then the first comparison. */
  show(bar: HTMLElement): void {
    const host = this._host;
    const target = host.session.state.bundle.target;
    const pick = el('select', 'tg-compare-pick');
    pick.setAttribute('aria-label', 'Graph to compare with');
    const drawn = host.drawn();
    const choices: [string, string, string][] = drawn.map(([v, title]) => [
      host.id,
      v,
      `${target}: ${title}`
    ]);
    for (const other of host.entries()) {
      if (other.id !== host.id) {
        for (const v of Object.keys(other.nodes).filter(v => !other.pending.includes(v))) {
          choices.push([other.id, v, `${other.name} [${other.cell ?? ''}]: ${viewTitle(v)}`]);
        }
      }
    }
    const left = el('select', 'tg-compare-pick');
    left.setAttribute('aria-label', 'Graph on the left');
    for (const [v, title] of drawn) {
      left.append(new Option(`${target}: ${title}`, v));
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
    bar.append(left, text('span', '', 'against'), pick, summary, this._changes);
    this._right = host.makeView();
    this._right.element.classList.add('tg-compare-right');
    run();
  }

  /** The other side of ``view``, if it is one side. */
  partnerOf(view: GraphView): GraphView | null {
    if (!this._right || this._quiet) {
      return null;
    }
    return view === this._left ? this._right : view === this._right ? this._left : null;
  }

  /** Select and centre on the other side the node or group paired with ``id`` on ``view``'s side. */
  follow(view: GraphView, id: string | null): void {
    const partner = this.partnerOf(view);
    if (!partner || this._selecting) {
      return;
    }
    const map = view === this._left ? this._pairs : this._pairsBack;
    const paired = id ? (map.get(id) ?? null) : null;
    this._selecting = true;
    partner.select(paired);
    this._selecting = false;
    if (paired) {
      this._quietly(() => partner.reveal(paired));
    }
  }

  /** ``view`` was panned or zoomed: the other side follows, from where it is. */
  followView(view: GraphView, box: IViewBox): void {
    const before = this._boxes.get(view) ?? box;
    this._boxes.set(view, box);
    const partner = this.partnerOf(view);
    if (!partner || this._mirroring.has(view)) {
      return;
    }
    const next = followBox(before, box, partner.viewBox);
    partner.setViewBox(next);
    this._boxes.set(partner, next);
  }

  /** ``view`` was drawn again after ``ids`` opened or closed: mark it, and open their pairs. */
  laidOut(view: GraphView, ids: string[], open: boolean): void {
    this.markPairs();
    const partner = this.partnerOf(view);
    if (!partner || this._mirroring.has(view) || this._sameView) {
      return;
    }
    const map = view === this._left ? this._pairs : this._pairsBack;
    const paired = ids.map(id => map.get(id)).filter((id): id is string => !!id);
    if (paired.length) {
      void this._mirror(view, partner, paired, open);
    }
  }

  /** Mark what is on one side only and what changed; again after either side is laid out anew. */
  markPairs(): void {
    if (!this._pairing || !this._right) {
      return;
    }
    markSides(this._left, this._right, this._pairing);
  }

  dispose(): void {
    this._right?.dispose();
    this._right = null;
  }

  private async _compare(
    leftView: string,
    otherId: string,
    otherView: string,
    summary: HTMLElement
  ): Promise<void> {
    const host = this._host;
    let other = host.session;
    if (otherId !== host.id) {
      other = host.sessionFor(otherId); // another graph of the kernel: it opens collapsed
      await other.load();
    }
    const graph = other.state.bundle.views[otherView];
    const picture = other.state.pictures[otherView];
    const leftGraph = host.session.state.bundle.views[leftView];
    const right = this._right;
    if (!right || !graph || !picture || !leftGraph) {
      return;
    }
    host.showLeft(leftView);
    this._sameView = other === host.session && otherView === leftView;
    right.setGraph(graph, picture.svg ?? '', picture.meta ?? {});
    host.showing(right, other, otherView, graph);
    const pairs = pairNodes(leftGraph, graph);
    this._pairing = pairs;
    this.markPairs();
    const grouped = [leftGraph, graph].some(g =>
      (g.subgraphs ?? []).some(s => STRUCTURE_KINDS.has(s.kind))
    );
    summary.textContent = summaryText(pairs, grouped);
    this._changes.replaceChildren(changeList(pairs, change => this._choose(change)));
    const all = [...pairs.groupPairs, ...pairs.pairs];
    this._pairs = new Map(all);
    this._pairsBack = new Map(all.map(([a, b]) => [b, a]));
    this._quietly(() => right.setViewBox(this._left.viewBox));
  }

  /** A change named in the bar: select its group on the left (the right follows), centred. */
  private _choose(change: IChange): void {
    this._left.select(change.left);
    this._quietly(() => this._left.reveal(change.left));
  }

  /** Open ``ids`` on ``partner`` as they opened on ``view``, then centre it on them at ``view``'s zoom. */
  private async _mirror(
    view: GraphView,
    partner: GraphView,
    ids: string[],
    open: boolean
  ): Promise<void> {
    this._mirroring.add(partner);
    try {
      await this._host.toggle(partner, ids, open);
    } finally {
      this._mirroring.delete(partner);
    }
    this._quietly(() => {
      partner.setViewBox(view.viewBox);
      partner.reveal(ids[ids.length - 1]);
    });
  }

  /** Move a side without the other following; both remember where they are. */
  private _quietly(move: () => void): void {
    this._quiet = true;
    try {
      move();
    } finally {
      this._quiet = false;
    }
    for (const v of [this._left, this._right]) {
      if (v) {
        this._boxes.set(v, v.viewBox);
      }
    }
  }

  private _right: GraphView | null = null;
  private _pairing: IPairing | null = null;
  private _pairs = new Map<string, string>();
  private _pairsBack = new Map<string, string>();
  private _selecting = false;
  /** While set, neither side follows the other's pan and zoom. */
  private _quiet = false;
  /** Sides being opened to mirror the other: their new picture is not followed. */
  private _mirroring = new Set<GraphView>();
  /** Both sides show the same view of the same graph: their groups open together already. */
  private _sameView = false;
  /** Where each side was last seen, to follow its moves. */
  private _boxes = new Map<GraphView, IViewBox>();
  private _changes = el('span', 'tg-compare-changes-bar');
}
