/**
 * The Rewrites tab: the rewrites that made each view, grouped by the view
 * they rewrote (optimized, gradient) and numbered in order within it, each
 * with its pass. Bookkeeping rewrites (merges, constant folding) are listed
 * only when the graph offers them (`--show-noise`), otherwise counted.
 * Each says what it is (its docstring's first line, its passes, where it is
 * defined, its source on request); a filter keeps one pass's rewrites.
 */
import { button, el, text } from './dom';
import { RewriteJSON } from './graph';
import { SourceReply, ViewOfferJSON } from './messages';

export interface IRewriteGroup {
  view: string;
  title: string;
  rewrites: RewriteJSON[];
}

export interface IGroupedRewrites {
  groups: IRewriteGroup[];
  /** Bookkeeping rewrites left out of the groups. */
  hidden: number;
}

/** Groups in the order of ``views`` (then any other), rewrites by step within each. */
export function groupRewrites(
  rewrites: RewriteJSON[],
  views: ViewOfferJSON[],
  showNoise: boolean
): IGroupedRewrites {
  const listed = showNoise ? rewrites : rewrites.filter(r => !r.noise);
  const byView = new Map<string, RewriteJSON[]>();
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

/** The passes a rewrite counts under: the one it ran in, else those it is registered under. */
export function passesOf(r: RewriteJSON): string[] {
  return r.pass_name ? [r.pass_name] : (r.passes ?? []);
}

/** Every pass of the listed rewrites, in the order they first ran. */
export function passList(grouped: IGroupedRewrites): string[] {
  const seen: string[] = [];
  for (const g of grouped.groups) {
    for (const p of g.rewrites.flatMap(passesOf)) {
      if (!seen.includes(p)) {
        seen.push(p);
      }
    }
  }
  return seen;
}

/** Only the rewrites of pass ``pass`` (all of them for ''); empty groups are dropped. */
export function filterByPass(grouped: IGroupedRewrites, pass: string): IGroupedRewrites {
  if (!pass) {
    return grouped;
  }
  const groups = grouped.groups
    .map(g => ({ ...g, rewrites: g.rewrites.filter(r => passesOf(r).includes(pass)) }))
    .filter(g => g.rewrites.length);
  return { groups, hidden: grouped.hidden };
}

/** "pytensor.tensor.rewriting.math, line 3452", or '' when not known. */
export function whereOf(r: RewriteJSON): string {
  return r.module ? `${r.module}, line ${r.line ?? 0}` : '';
}

/**
 * What a rewrite is, under its name: the first line of its docstring, the
 * passes it is registered under, where it is defined and a button that
 * fetches its source (``source`` absent: no button).
 */
export function explainRewrite(
  r: RewriteJSON,
  source?: (name: string) => Promise<SourceReply>
): HTMLDivElement {
  const box = el('div', 'tg-rewrite-about');
  if (r.doc) {
    box.append(text('span', 'tg-rewrite-doc', r.doc));
  }
  if (r.passes?.length) {
    box.append(text('span', 'tg-rewrite-passes', `registered under ${r.passes.join(', ')}`));
  }
  const where = whereOf(r);
  if (where) {
    box.append(text('span', 'tg-rewrite-where', where));
    if (source) {
      const shown = el('pre', 'tg-rewrite-source');
      shown.hidden = true;
      const toggle = button('source', 'tg-rewrite-source-toggle', 'Show its source', () => {
        if (!shown.hidden || shown.textContent) {
          shown.hidden = !shown.hidden;
          return;
        }
        shown.hidden = false;
        shown.textContent = 'reading…';
        void source(r.name).then(reply => {
          shown.textContent = reply.error ?? reply.source;
        });
      });
      box.append(toggle, shown);
    }
  }
  return box;
}

export interface IRewritesViewOptions {
  /** Show the nodes a rewrite created, in the view it rewrote. */
  onShow(view: string, ids: string[]): void;
  /** Whether ``view`` is drawn (so its nodes can be shown). */
  isDrawn(view: string): boolean;
  /** A rewrite's source from the kernel; without it there is no source button. */
  source?(name: string): Promise<SourceReply>;
}

/** The tab's content; ``waiting`` names views still being built (their rewrites come with them). */
export function rewritesView(
  grouped: IGroupedRewrites,
  waiting: string[],
  options: IRewritesViewOptions
): HTMLDivElement {
  const box = el('div', 'tg-rewrites-view');
  const passes = passList(grouped);
  const lists = el('div', 'tg-rewrite-groups');
  if (passes.length > 1) {
    const pick = el('select', 'tg-rewrite-filter');
    pick.setAttribute('aria-label', 'Show the rewrites of one pass');
    pick.append(new Option('all passes', ''), ...passes.map(p => new Option(p, p)));
    pick.addEventListener('change', () =>
      lists.replaceChildren(...rewriteGroups(filterByPass(grouped, pick.value), options))
    );
    box.append(pick);
  }
  lists.append(...rewriteGroups(grouped, options));
  box.append(lists);
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

function rewriteGroups(grouped: IGroupedRewrites, options: IRewritesViewOptions): HTMLElement[] {
  const box: HTMLElement[] = [];
  for (const group of grouped.groups) {
    const heading = text('h4', 'tg-rewrite-group', `${group.title} (${group.rewrites.length})`);
    heading.dataset.view = group.view;
    box.push(heading);
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
      li.append(explainRewrite(r, options.source?.bind(options)));
      if (r.created.length && options.isDrawn(group.view)) {
        li.append(
          button('show', 'tg-show-created', 'Show the nodes it created', () =>
            options.onShow(group.view, r.created)
          )
        );
      }
      list.append(li);
    });
    box.push(list);
  }
  return box;
}
