/**
 * The Rewrites tab: the rewrites that made each view, grouped by the view
 * they rewrote (optimized, gradient) and numbered in order within it, each
 * with its pass. Bookkeeping rewrites (merges, constant folding) are listed
 * only when the graph offers them (`--show-noise`), otherwise counted.
 */
import { button, el, text } from './dom';
import { IRewriteJSON } from './graphmodel';
import { ViewOfferJSON } from './messages';

export interface IRewriteGroup {
  view: string;
  title: string;
  rewrites: IRewriteJSON[];
}

export interface IGroupedRewrites {
  groups: IRewriteGroup[];
  /** Bookkeeping rewrites left out of the groups. */
  hidden: number;
}

/** Groups in the order of ``views`` (then any other), rewrites by step within each. */
export function groupRewrites(
  rewrites: IRewriteJSON[],
  views: ViewOfferJSON[],
  showNoise: boolean
): IGroupedRewrites {
  const listed = showNoise ? rewrites : rewrites.filter(r => !r.noise);
  const byView = new Map<string, IRewriteJSON[]>();
  for (const r of listed) {
    const view = r.view ?? 'optimized';
    byView.set(view, [...(byView.get(view) ?? []), r]);
  }
  const order = views.map(v => v.name).filter(v => byView.has(v));
  order.push(...[...byView.keys()].filter(v => !order.includes(v)));
  const groups = order.map(view => ({
    view,
    title: views.find(v => v.name === view)?.title ?? view,
    rewrites: [...(byView.get(view) ?? [])].sort((a, b) => a.step - b.step)
  }));
  return { groups, hidden: rewrites.length - listed.length };
}

export interface IRewritesViewOptions {
  /** Show the nodes a rewrite created, in the view it rewrote. */
  onShow(view: string, ids: string[]): void;
  /** Whether ``view`` is drawn (so its nodes can be shown). */
  isDrawn(view: string): boolean;
}

/** The tab's content; ``waiting`` names views still being built (their rewrites come with them). */
export function rewritesView(
  grouped: IGroupedRewrites,
  waiting: string[],
  options: IRewritesViewOptions
): HTMLDivElement {
  const box = el('div', 'tg-rewrites-view');
  for (const group of grouped.groups) {
    const heading = text('h4', 'tg-rewrite-group', `${group.title} (${group.rewrites.length})`);
    heading.dataset.view = group.view;
    box.append(heading);
    const list = el('ol', 'tg-rewrites');
    list.dataset.view = group.view;
    group.rewrites.forEach((r, i) => {
      const li = el('li', r.noise ? 'tg-rewrite tg-noise' : 'tg-rewrite');
      li.value = i + 1;
      li.append(text('strong', 'tg-rewrite-name', r.name));
      if (r.pass_name) {
        li.append(text('span', 'tg-rewrite-pass', r.pass_name));
      }
      li.append(
        text('code', 'tg-rewrite-from', r.replaced),
        text('span', 'tg-arrow', ' → '),
        text('code', 'tg-rewrite-to', r.replacement)
      );
      if (r.created.length && options.isDrawn(group.view)) {
        li.append(
          button('show', 'tg-show-created', 'Show the nodes it created', () =>
            options.onShow(group.view, r.created)
          )
        );
      }
      list.append(li);
    });
    box.append(list);
  }
  if (!grouped.groups.length && !waiting.length) {
    box.append(text('p', 'tg-hint', 'No rewrites were recorded.'));
  }
  for (const title of waiting) {
    box.append(text('p', 'tg-hint', `The rewrites of ${title} come when it is built.`));
  }
  if (grouped.hidden) {
    box.append(
      text(
        'p',
        'tg-noise-count',
        `${grouped.hidden} bookkeeping rewrites (merge, constant folding) not listed`
      )
    );
  }
  return box;
}
