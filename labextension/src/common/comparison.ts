/**
 * The comparison of a full-size view: a view of this graph on the left,
 * any drawn view of any graph of the kernel on the right, nodes paired,
 * those on one side only marked, selection and pan/zoom kept in step.
 */
import { IPairing, pairNodes } from './compare';
import { el, text } from './dom';
import { GraphJSON } from './graph';
import { viewTitle } from './graphmodel';
import { GraphView } from './graphview';
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
    bar.append(left, text('span', '', 'against'), pick, summary);
    this._right = host.makeView();
    this._right.element.classList.add('tg-compare-right');
    run();
  }

  /** The other side of ``view``, if it is one side. */
  partnerOf(view: GraphView): GraphView | null {
    if (!this._right) {
      return null;
    }
    return view === this._left ? this._right : view === this._right ? this._left : null;
  }

  /** Select on the other side the node paired with ``id`` on ``view``'s side. */
  follow(view: GraphView, id: string | null): void {
    const partner = this.partnerOf(view);
    if (!partner || this._selecting) {
      return;
    }
    const map = view === this._left ? this._pairs : this._pairsBack;
    this._selecting = true;
    partner.select(id ? (map.get(id) ?? null) : null);
    this._selecting = false;
  }

  /** Mark the nodes found on one side only; again after either side is laid out anew. */
  markPairs(): void {
    if (!this._pairing || !this._right) {
      return;
    }
    this._left.highlight(this._pairing.onlyLeft, 'tg-only');
    this._right.highlight(this._pairing.onlyRight, 'tg-only');
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
    right.setGraph(graph, picture.svg ?? '', picture.meta ?? {});
    host.showing(right, other, otherView, graph);
    const pairs = pairNodes(leftGraph, graph);
    this._pairing = pairs;
    this.markPairs();
    summary.textContent =
      `${pairs.pairs.length} nodes paired, ${pairs.onlyLeft.length} only on the left, ` +
      `${pairs.onlyRight.length} only on the right`;
    this._pairs = new Map(pairs.pairs);
    this._pairsBack = new Map(pairs.pairs.map(([a, b]) => [b, a]));
    right.setViewBox(this._left.viewBox);
  }

  private _right: GraphView | null = null;
  private _pairing: IPairing | null = null;
  private _pairs = new Map<string, string>();
  private _pairsBack = new Map<string, string>();
  private _selecting = false;
}
