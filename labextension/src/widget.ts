/**
 * anywidget entry of the inline `%%tgraph` output (bundled to
 * kernel_ext/tgraph/static/widget.js by `npm run build:widget`).
 *
 * DOM hooks for browser tests (stable):
 *   .tg-root                         the widget
 *   .tg-tab[data-view=<view>]        tabs: original, optimized, gradient, any
 *                                    extra view, rewrites, text (aria-selected)
 *   .tg-panel[data-view=<view>]      the panel of a tab (hidden when inactive)
 *   .tg-notes, .tg-error, .tg-status notes, layout errors, status line
 *   .tg-graph svg g.node             graph nodes; id "tg-<node id>", classes
 *                                    tg-op/-input/-output/-constant/-shared,
 *                                    tg-subgraph (collapsed), g.cluster.tg-cluster
 *   .tg-search, .tg-next, .tg-prev, .tg-search-status, g.tg-match, g.tg-current
 *   .tg-zoom-in, .tg-zoom-out, .tg-fit, .tg-save
 *   .tg-inspector (.tg-details dt/dd), .tg-expand, .tg-collapse, g.tg-selected
 *   .tg-rewrites li.tg-rewrite, .tg-noise-toggle, .tg-text pre
 */
import css from '../style/widget.css';
import {
  BundleJSON,
  LayoutMeta,
  viewNames,
  viewTitle,
  visibleRewrites
} from './graphmodel';
import { GraphView, button, text } from './graphview';

/** The part of anywidget's model API this widget uses. */
export interface WidgetModel {
  get(name: string): any; // eslint-disable-line @typescript-eslint/no-explicit-any
  set(name: string, value: unknown): void;
  save_changes(): void;
  on(event: string, callback: () => void): void;
  off(event: string, callback: () => void): void;
}

type Expanded = Record<string, string[]>;

export function render({
  model,
  el
}: {
  model: WidgetModel;
  el: HTMLElement;
}): () => void {
  const root = document.createElement('div');
  root.className = 'tg-root';
  const style = document.createElement('style');
  style.textContent = css;
  const tabs = document.createElement('div');
  tabs.className = 'tg-tabs';
  tabs.setAttribute('role', 'tablist');
  const notes = document.createElement('ul');
  notes.className = 'tg-notes';
  const error = text('div', 'tg-error', '');
  error.setAttribute('role', 'alert');
  const panels = document.createElement('div');
  panels.className = 'tg-panels';
  const status = text('div', 'tg-status', '');
  root.append(style, tabs, notes, error, panels, status);
  el.replaceChildren(root);

  const views = new Map<string, GraphView>();
  const shownSvg = new Map<string, string>();
  let active = '';
  let showNoise = false;

  const bundle = (): BundleJSON => model.get('bundle');
  const meta = (view: string): LayoutMeta =>
    (model.get('layouts') ?? {})[view] ?? {};

  const setExpanded = (view: string, change: (ids: Set<string>) => void) => {
    const all: Expanded = { ...(model.get('expanded') ?? {}) };
    const ids = new Set(all[view] ?? []);
    change(ids);
    all[view] = Array.from(ids);
    model.set('expanded', all); // fires change:expanded here, before the kernel answers
    model.save_changes();
    status.textContent = 'laying out…';
  };

  const graphView = (view: string): GraphView => {
    let v = views.get(view);
    if (!v) {
      v = new GraphView({
        onExpand: id => setExpanded(view, ids => ids.add(id)),
        onCollapse: id => setExpanded(view, ids => ids.delete(id))
      });
      views.set(view, v);
    }
    return v;
  };

  /** (Re)mount the SVG of each graph view that changed. */
  const syncGraphs = () => {
    const svgs: Record<string, string> = model.get('svg') ?? {};
    for (const [view, v] of views) {
      const svg = svgs[view] ?? '';
      if (shownSvg.get(view) !== svg) {
        shownSvg.set(view, svg);
        v.setGraph(bundle().views[view], svg, meta(view));
      }
    }
  };

  const renderRewrites = (panel: HTMLElement) => {
    const all = bundle().rewrites ?? [];
    const { shown, hidden } = visibleRewrites(all, showNoise);
    const list = document.createElement('ol');
    list.className = 'tg-rewrites';
    for (const r of shown) {
      const li = document.createElement('li');
      li.className = r.noise ? 'tg-rewrite tg-noise' : 'tg-rewrite';
      li.value = r.step;
      li.append(
        text('strong', 'tg-rewrite-name', r.name),
        text('code', 'tg-rewrite-from', r.replaced),
        text('span', 'tg-arrow', ' → '),
        text('code', 'tg-rewrite-to', r.replacement)
      );
      if (r.created?.length && bundle().views.optimized) {
        li.append(
          button('show', 'tg-show-created', 'Show the nodes it created', () => {
            activate('optimized');
            const v = graphView('optimized');
            v.clearHighlight('tg-flash');
            v.highlight(r.created, 'tg-flash');
          })
        );
      }
      list.append(li);
    }
    const noise = all.length - visibleRewrites(all, false).shown.length;
    const parts: HTMLElement[] = [];
    if (all.length === 0) {
      parts.push(text('p', 'tg-hint', 'No rewrites were recorded.'));
    }
    parts.push(list);
    if (noise) {
      const label = showNoise
        ? `hide ${noise} bookkeeping rewrites`
        : `show ${hidden} bookkeeping rewrites`;
      parts.push(
        button(label, 'tg-noise-toggle', label, () => {
          showNoise = !showNoise;
          renderRewrites(panel);
        })
      );
    }
    panel.replaceChildren(...parts);
  };

  const fillPanel = (view: string, panel: HTMLElement) => {
    if (view === 'rewrites') {
      renderRewrites(panel);
    } else if (view === 'text') {
      const pre = text('pre', '', String(bundle().info?.stablehlo ?? ''));
      const box = document.createElement('div');
      box.className = 'tg-text';
      box.append(pre);
      panel.replaceChildren(box);
    } else {
      panel.replaceChildren(graphView(view).element);
      syncGraphs();
    }
  };

  const activate = (view: string) => {
    active = view;
    for (const tab of Array.from(
      tabs.querySelectorAll<HTMLElement>('.tg-tab')
    )) {
      tab.setAttribute('aria-selected', String(tab.dataset.view === view));
    }
    for (const panel of Array.from(
      panels.querySelectorAll<HTMLElement>('.tg-panel')
    )) {
      const on = panel.dataset.view === view;
      panel.hidden = !on;
      if (on && !panel.hasChildNodes()) {
        fillPanel(view, panel);
      }
    }
    showNotes();
  };

  const showNotes = () => {
    const b = bundle();
    const lines = Array.from(
      new Set((b.notes ?? []).concat(b.views[active]?.notes ?? []))
    );
    notes.replaceChildren(...lines.map(n => text('li', '', n)));
    notes.hidden = lines.length === 0;
  };

  /** Build tabs and empty panels for the current bundle. */
  const build = () => {
    const b = bundle();
    const names = viewNames(b);
    const tabList: [string, string][] = names.map(v => [v, viewTitle(v)]);
    if (b.rewrites?.length || b.framework === 'pytensor') {
      tabList.push([
        'rewrites',
        `Rewrites (${visibleRewrites(b.rewrites ?? [], false).shown.length})`
      ]);
    }
    if (typeof b.info?.stablehlo === 'string' && b.info.stablehlo) {
      tabList.push(['text', 'Text']);
    }
    tabs.replaceChildren();
    panels.replaceChildren();
    for (const v of views.values()) {
      v.dispose();
    }
    views.clear();
    shownSvg.clear();
    for (const [view, title] of tabList) {
      const tab = button(title, 'tg-tab', `Show ${title}`, () =>
        activate(view)
      );
      tab.dataset.view = view;
      tab.setAttribute('role', 'tab');
      tabs.append(tab);
      const panel = document.createElement('div');
      panel.className = 'tg-panel';
      panel.dataset.view = view;
      panel.setAttribute('role', 'tabpanel');
      panels.append(panel);
    }
    activate(
      tabList.some(([v]) => v === active) ? active : (tabList[0]?.[0] ?? '')
    );
  };

  const onStatus = () => {
    status.textContent = model.get('status') ?? '';
    error.textContent = model.get('error') ?? '';
    error.hidden = !error.textContent;
  };

  build();
  onStatus();
  // any answer from the kernel ends "laying out…", even one with the same status text
  const listeners: [string, () => void][] = [
    ['change:bundle', build],
    ['change:svg', syncGraphs],
    ['change:layouts', syncGraphs],
    ...['status', 'error', 'svg', 'layouts', 'expanded'].map(
      (k): [string, () => void] => [`change:${k}`, onStatus]
    )
  ];
  for (const [event, cb] of listeners) {
    model.on(event, cb);
  }
  return () => {
    for (const [event, cb] of listeners) {
      model.off(event, cb);
    }
    for (const v of views.values()) {
      v.dispose();
    }
  };
}

export default { render };
