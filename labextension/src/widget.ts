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
 *   .tg-timing-section               timing panel (hooks in timingview.ts),
 *                                    hidden when the kernel cannot time
 *   .tg-profile-run, .tg-profile-note, .tg-profile-table tbody tr
 *   g.tg-heat                        optimized-view nodes coloured by the
 *                                    profile (data-heat: percent of a call)
 *
 * Timing runs in the kernel: the Run and "Where the time goes" buttons send
 * `{type: 'time' | 'profile', device, backend, size}` custom messages, and
 * the answers come back as the traits devices, timings, busy, timing_error
 * and profile.
 */
import css from '../style/widget.css';
import timingCss from '../style/timing.css';
import {
  BundleJSON,
  GraphJSON,
  LayoutMeta,
  viewNames,
  viewTitle,
  visibleRewrites
} from './graphmodel';
import { GraphView, button, text } from './graphview';
import { DevicesInfo, TimingRow, TimingView, formatSeconds } from './timingview';

/** The part of anywidget's model API this widget uses. */
export interface WidgetModel {
  get(name: string): any; // eslint-disable-line @typescript-eslint/no-explicit-any
  set(name: string, value: unknown): void;
  save_changes(): void;
  on(event: string, callback: () => void): void;
  off(event: string, callback: () => void): void;
  /** A custom message to the kernel's widget (anywidget's `model.send`). */
  send(content: Record<string, unknown>): void;
}

type Expanded = Record<string, string[]>;

export interface ProfileEntryJSON {
  key: string;
  label: string;
  seconds: number;
  fraction: number;
  count: number;
}

/** `ProfileResult.to_json()` from the kernel; seconds per call. */
export interface ProfileJSON {
  backend: string;
  timed_backend: string | null;
  device: string;
  calls: number;
  total_s: number;
  top: ProfileEntryJSON[];
  colours: Record<string, number>;
  notes: string[];
}

/**
 * Ids in a view for each profile key. PyTensor profiles name an op by its
 * text (`Node.op`); JAX by its HLO instruction (`Node.name`), which is also
 * the label of a fusion's subgraph.
 */
export function profileTargets(
  graph: GraphJSON | undefined,
  framework: string
): Map<string, string[]> {
  const found = new Map<string, string[]>();
  const add = (key: string, id: string) => key && found.set(key, [...(found.get(key) ?? []), id]);
  for (const node of graph?.nodes ?? []) {
    if (node.kind === 'op') {
      add(framework === 'jax' ? node.name : node.op, node.id);
    }
  }
  if (framework === 'jax') {
    for (const sub of graph?.subgraphs ?? []) {
      add(sub.label, sub.id);
    }
  }
  return found;
}

/** Pale yellow (a small share) to red (the largest), for `t` in 0..1. */
export function heatColour(t: number): string {
  const c = Math.min(1, Math.max(0, t));
  return `hsl(${Math.round(50 - 50 * c)}, 95%, ${Math.round(88 - 30 * c)}%)`;
}

export function render({ model, el }: { model: WidgetModel; el: HTMLElement }): () => void {
  const root = document.createElement('div');
  root.className = 'tg-root';
  const style = document.createElement('style');
  style.textContent = css + timingCss;
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
  const timingSection = document.createElement('section');
  timingSection.className = 'tg-timing-section';
  timingSection.append(text('h4', 'tg-section-title', 'Timing'));
  root.append(style, tabs, notes, error, panels, status, timingSection);
  el.replaceChildren(root);

  const views = new Map<string, GraphView>();
  const shownSvg = new Map<string, string>();
  let active = '';
  let showNoise = false;

  const bundle = (): BundleJSON => model.get('bundle');
  const meta = (view: string): LayoutMeta => (model.get('layouts') ?? {})[view] ?? {};

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
    applyHeat();
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
    for (const tab of Array.from(tabs.querySelectorAll<HTMLElement>('.tg-tab'))) {
      tab.setAttribute('aria-selected', String(tab.dataset.view === view));
    }
    for (const panel of Array.from(panels.querySelectorAll<HTMLElement>('.tg-panel'))) {
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
    const lines = Array.from(new Set((b.notes ?? []).concat(b.views[active]?.notes ?? [])));
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
      const tab = button(title, 'tg-tab', `Show ${title}`, () => activate(view));
      tab.dataset.view = view;
      tab.setAttribute('role', 'tab');
      tabs.append(tab);
      const panel = document.createElement('div');
      panel.className = 'tg-panel';
      panel.dataset.view = view;
      panel.setAttribute('role', 'tabpanel');
      panels.append(panel);
    }
    activate(tabList.some(([v]) => v === active) ? active : (tabList[0]?.[0] ?? ''));
  };

  const onStatus = () => {
    status.textContent = model.get('status') ?? '';
    error.textContent = model.get('error') ?? '';
    error.hidden = !error.textContent;
  };

  const timing = new TimingView(timingSection, {
    onRun: request => ask('time', request),
    backends: bundle().framework === 'pytensor'
  });
  const profileRun = button(
    'Where the time goes',
    'tg-profile-run',
    'Profile one call and colour the optimized graph by where the time went',
    () => ask('profile', timing.request())
  );
  const profileNote = text('div', 'tg-profile-note', '');
  const profileTable = document.createElement('table');
  profileTable.className = 'tg-profile-table';
  const profileHead = profileTable.createTHead().insertRow();
  for (const name of ['op', 'time', 'share']) {
    profileHead.append(text('th', '', name));
  }
  const profileBody = profileTable.createTBody();
  const profileBox = document.createElement('div');
  profileBox.className = 'tg-profile';
  profileBox.append(profileRun, profileNote, profileTable);
  timing.node.append(profileBox);

  const profile = (): ProfileJSON | null =>
    model.get('profile')?.top ? model.get('profile') : null;
  const rows = (): TimingRow[] => model.get('timings') ?? [];

  function ask(type: string, request: object): void {
    setBusy(true); // until the kernel answers with its own busy flag
    model.send({ type, ...request });
  }

  function setBusy(busy: boolean): void {
    timing.setBusy(busy);
    profileRun.disabled = busy;
  }

  /** Colour the optimized view's nodes by their share of a call. */
  function applyHeat(): void {
    const v = views.get('optimized');
    if (!v) {
      return;
    }
    for (const g of Array.from(v.element.querySelectorAll<SVGGElement>('g.tg-heat'))) {
      g.classList.remove('tg-heat');
      g.removeAttribute('style');
      g.removeAttribute('data-heat');
    }
    const colours = profile()?.colours ?? {};
    const largest = Math.max(0, ...Object.values(colours));
    const ids = profileTargets(bundle().views.optimized, bundle().framework);
    const shares = new Map<SVGGElement, number>();
    for (const [key, share] of Object.entries(colours)) {
      for (const id of ids.get(key) ?? []) {
        const g = v.elementFor(id); // a collapsed subgraph stands for its nodes
        if (g) {
          shares.set(g, Math.max(shares.get(g) ?? 0, share));
        }
      }
    }
    for (const [g, share] of shares) {
      g.classList.add('tg-heat');
      g.setAttribute('style', `--tg-heat: ${heatColour(share / largest)}`);
      g.setAttribute('data-heat', (share * 100).toFixed(1));
    }
  }

  const renderProfile = () => {
    const p = profile();
    profileTable.hidden = !p;
    profileBody.replaceChildren();
    if (!p) {
      profileNote.textContent = '';
      applyHeat();
      return;
    }
    const timed = p.timed_backend ?? rows()[rows().length - 1]?.backend;
    const from =
      timed && timed !== p.backend
        ? `per-node times from ${p.backend}, not ${timed} as timed`
        : `per-node times from ${p.backend}`;
    profileNote.textContent = [
      `${from} on ${p.device}: ${formatSeconds(p.total_s)} per call, ${p.calls} calls`,
      ...p.notes
    ].join('; ');
    const ids = profileTargets(bundle().views.optimized, bundle().framework);
    for (const entry of p.top) {
      const tr = profileBody.insertRow();
      const shown = ids.get(entry.key) ?? [];
      tr.title = shown.length
        ? `${entry.key}: click to show in the optimized graph`
        : `${entry.key}: not in the optimized view shown`;
      tr.append(
        text('td', '', entry.count > 1 ? `${entry.label} ×${entry.count}` : entry.label),
        text('td', '', formatSeconds(entry.seconds)),
        text('td', '', `${(entry.fraction * 100).toFixed(1)} %`)
      );
      tr.addEventListener('click', () => {
        activate('optimized');
        const v = graphView('optimized');
        v.clearHighlight('tg-flash');
        v.highlight(shown, 'tg-flash');
      });
    }
    applyHeat();
  };

  const onDevices = () => {
    const info: DevicesInfo = model.get('devices') ?? {};
    timingSection.hidden = !info.devices;
    if (info.devices) {
      timing.setDevices(info);
    }
    profileRun.hidden = !bundle().views.optimized;
  };
  const onTimings = () => {
    timing.setRows(rows());
    timing.setMessage(model.get('timing_error') ?? '');
    setBusy(Boolean(model.get('busy')));
  };

  build();
  onStatus();
  onDevices();
  onTimings();
  renderProfile();
  // any answer from the kernel ends "laying out…", even one with the same status text
  const listeners: [string, () => void][] = [
    ['change:bundle', build],
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
    ['change:profile', renderProfile]
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
    timing.dispose();
  };
}

export default { render };
