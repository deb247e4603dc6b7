/**
 * anywidget entry of the inline `%%tgraph` output (bundled to
 * kernel_ext/tgraph/static/widget.js by `npm run build:widget`; its CSS goes
 * to static/widget.css; the kernel packs both behind a small loader, `_esm`).
 *
 * The tabs come from what the graph offers (`offers`): its views, a rewrites
 * tab, text dumps, timing. A view the kernel has not built yet (`pending`)
 * shows what the kernel is doing and for how long; the widget asks for it
 * once on screen, and again when its tab is opened if it never asked.
 *
 * DOM hooks for browser tests (stable):
 *   .tg-root                         the widget
 *   .tg-tab[data-view=<view>]        tabs: each offered view, rewrites,
 *                                    text:<key> (aria-selected); .tg-tab-pending
 *   .tg-panel[data-view=<view>]      the panel of a tab (hidden when inactive)
 *   .tg-pending .tg-pending-text     a view still being built
 *   .tg-notes, .tg-error, .tg-status notes, layout errors, status line
 *   .tg-graph svg g.node             graph nodes; id "tg-<node id>", classes
 *                                    tg-op/-input/-output/-constant/-shared,
 *                                    tg-subgraph (collapsed), g.cluster.tg-cluster
 *   .tg-search, .tg-next, .tg-prev, .tg-search-status, g.tg-match, g.tg-current
 *   .tg-zoom-in, .tg-zoom-out, .tg-fit, .tg-save
 *   .tg-inspector (.tg-details dt/dd), .tg-expand, .tg-collapse, g.tg-selected
 *   .tg-rewrites[data-view] li.tg-rewrite, .tg-rewrite-pass, .tg-noise-count
 *   .tg-text pre
 *   .tg-timing-section               timing panel (hooks in timingview.ts),
 *                                    hidden when the graph offers no timing
 *   .tg-profile-run, .tg-profile-note, .tg-profile-table tbody tr
 *   g.tg-heat                        profiled nodes (data-heat: percent of a call)
 *
 * Timing runs in the kernel, never in the cell: the widget sends
 * `{type: 'devices'}` and, once the pending views have arrived, one
 * `{type: 'time'}` when `autorun` is set; Run and "Where the time goes" send
 * `time` and `profile`. The answers come back as traits.
 */
import { el, text } from '../common/dom';
import { GraphView } from '../common/graphview';
import { whenNear } from './nearscreen';
import { PendingView } from '../common/pendingview';
import { applyHeat, ProfileView } from '../common/profileview';
import { groupRewrites, rewritesView } from '../common/rewritesview';
import { ITab, TabStrip } from '../common/tabs';
import { GraphValues, numbersView, valuesOf } from '../common/valuesview';
import { textView } from '../common/textview';
import { TimingView } from '../common/timingview';
import {
  hasPacked,
  hideStatic,
  IWidgetModel,
  requestsOf,
  Traits,
  UnpackedModel
} from './widgetmodel';

export type { IWidgetModel } from './widgetmodel';

const REWRITES = 'rewrites';
const TEXT = 'text:';
const TICK_MS = 100;
/** The view the Rewrites tab compares with the graph as written. */
const NUMBERS_VIEW = 'optimized';

/** The tabs a graph offers, in order; a pending view's tab is marked. */
export function tabsOf(traits: Traits): ITab[] {
  const offers = traits.offers;
  const pending = traits.pending;
  const tabs: ITab[] = offers.views.map(v => ({
    name: v.name,
    title: v.title,
    pending: v.name in pending
  }));
  if (offers.rewrites) {
    const { groups } = groupRewrites(traits.bundle.rewrites, offers.views, offers.show_noise);
    const count = groups.reduce((n, g) => n + g.rewrites.length, 0);
    tabs.push({ name: REWRITES, title: `Rewrites (${count})` });
  }
  for (const t of offers.texts) {
    tabs.push({ name: TEXT + t.key, title: t.title });
  }
  return tabs;
}

/**
 * Draw the widget once it comes near the screen (until then it asks the
 * kernel for nothing, and the static copy stands in). The kernel sends
 * `bundle` and `svg` packed; they are unpacked (asynchronously) before the
 * first drawing and on every change.
 */
export function render({ model, el: host }: { model: IWidgetModel; el: HTMLElement }): () => void {
  let cleanup: (() => void) | null = null;
  let gone = false;
  const show = () => {
    if (!hasPacked(model)) {
      cleanup = draw(model, host);
      return;
    }
    const unpacked = new UnpackedModel(model);
    void unpacked.ready().then(() => {
      if (!gone) {
        cleanup = draw(unpacked, host);
      }
    });
  };
  const stopWatching = whenNear(host, show);
  return () => {
    gone = true;
    stopWatching();
    cleanup?.();
  };
}

function draw(model: IWidgetModel, host: HTMLElement): () => void {
  const traits = new Traits(model);
  hideStatic(traits.staticId);
  const requests = requestsOf(model);
  const root = el('div', 'tg-root');
  const tabs = new TabStrip(name => activate(name));
  const notes = el('ul', 'tg-notes');
  const error = el('div', 'tg-error');
  error.setAttribute('role', 'alert');
  const panels = el('div', 'tg-panels');
  const status = el('div', 'tg-status');
  const timingSection = el('section', 'tg-timing-section');
  timingSection.append(text('h4', 'tg-section-title', 'Timing'));
  root.append(tabs.node, notes, error, panels, status, timingSection);
  host.replaceChildren(root);

  const views = new Map<string, GraphView>();
  const graphValues = new Map<string, GraphValues>();
  const valuesAsked = new Set<string>();
  const values = () => valuesOf(model.get('values'));
  /** Values are computed in the kernel once per view, when first asked. */
  const askValues = (view: string) => {
    if (!valuesAsked.has(view) && !(view in values())) {
      valuesAsked.add(view);
      model.send({ type: 'values', view });
    }
  };
  const waiting = new Map<string, PendingView>();
  const shownSvg = new Map<string, string>();
  let ticker: ReturnType<typeof setInterval> | null = null;

  const setExpanded = (view: string, change: (ids: Set<string>) => void) => {
    const all = { ...traits.expanded };
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
        onCollapse: id => setExpanded(view, ids => ids.delete(id)),
        inspectorExtra: id => graphValues.get(view)?.inspector(id) ?? null
      });
      views.set(view, v);
      const shown = new GraphValues(askValues, view);
      shown.setValues(values());
      shown.attach(v);
      graphValues.set(view, shown);
    }
    return v;
  };

  const showNodes = (view: string, ids: string[]) => {
    if (!views.has(view) && !tabs.names.includes(view)) {
      return;
    }
    tabs.select(view);
    const v = graphView(view);
    v.clearHighlight('tg-flash');
    v.highlight(ids, 'tg-flash');
  };

  /** (Re)mount the SVG of each drawn view that changed. */
  const syncGraphs = () => {
    const svgs = traits.svg;
    const layouts = traits.layouts;
    const graphs = traits.bundle.views;
    for (const [view, v] of views) {
      const svg = svgs[view] ?? '';
      const graph = graphs[view];
      if (graph && shownSvg.get(view) !== svg) {
        shownSvg.set(view, svg);
        v.setGraph(graph, svg, layouts[view] ?? {});
      }
    }
    heat();
  };

  const heat = () => {
    const profile = traits.profile;
    for (const [view, v] of views) {
      applyHeat(v, profile?.view === view ? profile : null);
    }
  };

  const panelOf = (name: string): HTMLElement | null =>
    Array.from(panels.children).find(
      (p): p is HTMLElement => p instanceof HTMLElement && p.dataset.view === name
    ) ?? null;

  /** What a panel holds now, so a change redraws only the panels it concerns. */
  const kindOf = (name: string): string => {
    if (name === REWRITES || name.startsWith(TEXT)) {
      return name;
    }
    return name in traits.pending ? 'pending' : 'graph';
  };

  const fill = (name: string, panel: HTMLElement) => {
    panel.dataset.kind = kindOf(name);
    if (name === REWRITES) {
      const offers = traits.offers;
      const pending = traits.pending;
      const grouped = groupRewrites(traits.bundle.rewrites, offers.views, offers.show_noise);
      const building = offers.views.filter(v => v.name in pending).map(v => v.title);
      panel.replaceChildren(
        rewritesView(grouped, building, {
          onShow: showNodes,
          isDrawn: view => view in traits.bundle.views,
          source: name => requests.source(name)
        })
      );
      if (traits.bundle.rewrites.some(r => r.view === NUMBERS_VIEW)) {
        panel.append(
          numbersView(values()[NUMBERS_VIEW], valuesAsked.has(NUMBERS_VIEW), () => {
            askValues(NUMBERS_VIEW);
            fill(REWRITES, panel);
          })
        );
      }
    } else if (name.startsWith(TEXT)) {
      const content = traits.bundle.info[name.slice(TEXT.length)];
      panel.replaceChildren(textView(typeof content === 'string' ? content : ''));
    } else if (name in traits.pending) {
      const pv = new PendingView(traits.pending[name]);
      waiting.set(name, pv);
      panel.replaceChildren(pv.element);
      requests.view(name);
    } else {
      waiting.delete(name);
      panel.replaceChildren(graphView(name).element);
      syncGraphs();
    }
    syncTicker();
  };

  const activate = (name: string) => {
    for (const panel of Array.from(panels.children)) {
      if (panel instanceof HTMLElement) {
        const on = panel.dataset.view === name;
        panel.hidden = !on;
        if (on && !panel.hasChildNodes()) {
          fill(name, panel);
        }
      }
    }
    showNotes();
  };

  const showNotes = () => {
    const b = traits.bundle;
    const lines = Array.from(new Set(b.notes.concat(b.views[tabs.active]?.notes ?? [])));
    notes.replaceChildren(...lines.map(n => text('li', '', n)));
    notes.hidden = lines.length === 0;
  };

  const tick = () => {
    const now = Date.now() / 1000;
    for (const pv of waiting.values()) {
      pv.update(now);
    }
  };

  /** A clock runs while some pending view is drawn, and only then. */
  const syncTicker = () => {
    if (waiting.size && ticker === null) {
      ticker = setInterval(tick, TICK_MS);
    } else if (!waiting.size && ticker !== null) {
      clearInterval(ticker);
      ticker = null;
    }
  };

  /** Tabs and panels for the current offers, bundle and pending views. */
  const build = () => {
    const list = tabsOf(traits);
    const names = list.map(t => t.name);
    const active = tabs.setTabs(list);
    for (const panel of Array.from(panels.children)) {
      const name = panel instanceof HTMLElement ? (panel.dataset.view ?? '') : '';
      if (!names.includes(name)) {
        panel.remove();
        views.get(name)?.dispose();
        views.delete(name);
        shownSvg.delete(name);
        waiting.delete(name);
      }
    }
    const pending = traits.pending;
    for (const name of names) {
      let panel = panelOf(name);
      if (!panel) {
        panel = el('div', 'tg-panel');
        panel.dataset.view = name;
        panel.setAttribute('role', 'tabpanel');
      } else if (panel.hasChildNodes()) {
        if (panel.dataset.kind !== kindOf(name) || !(name in views || name in pending)) {
          fill(name, panel); // built since, or rewrites/text that came with a view
        } else if (name in pending) {
          waiting.get(name)?.setPending(pending[name]);
        }
      }
      panels.append(panel); // in tab order
    }
    activate(active);
    syncTicker();
  };

  const onValues = () => {
    const found = values();
    for (const shown of graphValues.values()) {
      shown.setValues(found);
    }
    const rewrites = panelOf(REWRITES);
    if (rewrites?.hasChildNodes()) {
      fill(REWRITES, rewrites);
    }
  };

  const onStatus = () => {
    status.textContent = traits.status;
    error.textContent = traits.error;
    error.hidden = !error.textContent;
  };

  // -- timing ------------------------------------------------------------------

  const timing = new TimingView(timingSection, {
    onRun: choice => {
      requests.devices();
      requests.time(choice);
      timing.setBusy(true); // until the kernel answers with its own busy flag
      onAutomatic();
    },
    onStop: () => {
      if (requests.automaticWaiting) {
        requests.decline();
        onAutomatic();
      } else {
        requests.stop();
      }
    }
  });
  const profile = new ProfileView({
    onRun: () => {
      requests.devices();
      requests.profile(timing.choice());
      timing.setBusy(true);
      profile.setBusy(true);
    },
    onShow: showNodes
  });
  timing.node.append(profile.node);

  /** Time by itself once every pending view has arrived, unless declined. */
  const onAutomatic = () => {
    const offers = traits.offers;
    const automatic =
      traits.autorun && offers.timing && !traits.timings.length && requests.automaticWaiting;
    timing.setAutomatic(automatic);
    if (automatic && Object.keys(traits.pending).length === 0) {
      requests.automatic(timing.choice());
      timing.setAutomatic(false);
      timing.setBusy(true);
    }
  };

  const onDevices = () => {
    const offers = traits.offers;
    timingSection.hidden = !offers.timing;
    timing.setBackendLabel(offers.backend_label);
    timing.setDevices(
      traits.devices,
      requests.devicesAsked ? 'looking for devices…' : 'devices are found on the first run'
    );
  };

  const onTimings = () => {
    const rows = traits.timings;
    timing.setRows(rows);
    timing.setMessage(traits.timingError);
    timing.setBusy(traits.busy);
    profile.setBusy(traits.busy);
    profile.setProfile(traits.profile, rows[rows.length - 1]?.backend ?? null);
  };

  const onProfile = () => {
    const rows = traits.timings;
    profile.setProfile(traits.profile, rows[rows.length - 1]?.backend ?? null);
    heat();
  };

  // -- first render: ask for what is missing ------------------------------------

  if (traits.autorun && traits.offers.timing && !traits.devices) {
    requests.devices();
  }
  for (const view of Object.keys(traits.pending)) {
    requests.view(view);
  }
  build();
  onStatus();
  onDevices();
  onTimings();
  onProfile();
  onAutomatic();

  // any answer from the kernel ends "laying out…", even one with the same status text
  const listeners: [string, () => void][] = [
    ...['bundle', 'offers', 'pending'].map((k): [string, () => void] => [`change:${k}`, build]),
    ['change:pending', onAutomatic],
    ['change:offers', onDevices],
    ['change:svg', syncGraphs],
    ['change:layouts', syncGraphs],
    ...['status', 'error', 'svg', 'layouts', 'expanded'].map((k): [string, () => void] => [
      `change:${k}`,
      onStatus
    ]),
    ['change:devices', onDevices],
    ...['timings', 'timing_error', 'busy'].map((k): [string, () => void] => [
      `change:${k}`,
      onTimings
    ]),
    ['change:profile', onProfile],
    ['change:values', onValues]
  ];
  for (const [event, cb] of listeners) {
    model.on(event, cb);
  }
  return () => {
    for (const [event, cb] of listeners) {
      model.off(event, cb);
    }
    if (ticker !== null) {
      clearInterval(ticker);
    }
    for (const v of views.values()) {
      v.dispose();
    }
    timing.dispose();
  };
}

export default { render };
