/**
 * What a comparison shows of its pairing: the boxes on one side only and the
 * paired groups that changed, marked on each side; the summary and the list
 * of changes ("block ×24 ↔ block ×12 in forward") in the comparison bar; and
 * the pan and zoom of one side followed by the other, keeping the offset a
 * centred pair left between them.
 */
import { IChange, IPairing } from './compare';
import { button, el, text } from './dom';
import { GraphView, IViewBox } from './graphview';

/** How many changes the bar names before "and N more". */
const SHOWN_CHANGES = 4;

/** Add ``cls`` to the boxes drawn for ``ids`` themselves (not to a closed box around them). */
export function markOwn(view: GraphView, ids: Iterable<string>, cls: string): void {
  view.clearHighlight(cls);
  for (const id of ids) {
    const g = view.elementFor(id);
    if (g && g.id === `tg-${id}`) {
      g.classList.add(cls);
    }
  }
}

/** Mark both sides: one-side-only nodes and groups, and changed groups. */
export function markSides(left: GraphView, right: GraphView, p: IPairing): void {
  markOwn(left, [...p.onlyLeft, ...p.groupsOnlyLeft], 'tg-only');
  markOwn(right, [...p.onlyRight, ...p.groupsOnlyRight], 'tg-only');
  markOwn(
    left,
    p.changed.map(c => c.left),
    'tg-changed'
  );
  markOwn(
    right,
    p.changed.map(c => c.right),
    'tg-changed'
  );
}

/** "4 nodes paired, 1 only on the left, 1 only on the right; 12 groups paired, ...". */
export function summaryText(p: IPairing, grouped: boolean): string {
  const nodes =
    `${p.pairs.length} nodes paired, ${p.onlyLeft.length} only on the left, ` +
    `${p.onlyRight.length} only on the right`;
  if (!grouped) {
    return nodes;
  }
  return (
    `${p.groupPairs.length} groups paired (${p.changed.length} changed), ` +
    `${p.groupsOnlyLeft.length} only on the left, ${p.groupsOnlyRight.length} only on the right; ` +
    nodes
  );
}

/** The bar's list of where the two differ; each entry selects its pair. */
export function changeList(p: IPairing, choose: (change: IChange) => void): HTMLElement {
  const list = el('span', 'tg-compare-changes');
  for (const change of p.headlines.slice(0, SHOWN_CHANGES)) {
    list.append(
      button(change.text, 'tg-compare-change', `Show ${change.text}`, () => choose(change))
    );
  }
  const more = p.headlines.length - SHOWN_CHANGES;
  if (more > 0) {
    list.append(text('span', 'tg-compare-more', `and ${more} more`));
  }
  return list;
}

/**
 * Where ``partner`` goes when its side moved from ``before`` to ``after``:
 * the same pan and zoom, in the partner's own scale and from its own place.
 */
export function followBox(before: IViewBox, after: IViewBox, partner: IViewBox): IViewBox {
  const s = before.w ? partner.w / before.w : 1;
  const cx = partner.x + partner.w / 2 + (after.x + after.w / 2 - before.x - before.w / 2) * s;
  const cy = partner.y + partner.h / 2 + (after.y + after.h / 2 - before.y - before.h / 2) * s;
  const w = after.w * s;
  const h = before.h ? partner.h * (after.h / before.h) : partner.h;
  return { x: cx - w / 2, y: cy - h / 2, w, h };
}
