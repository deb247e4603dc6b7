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
 *   .tg-zoom-in, .tg-zoom-out, .tg-fit, .tg-save, .tg-wheel-hint (how to zoom)
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
 * `{type: 'time', automatic: true}` when `autorun` is set (the kernel refuses
 * it for a program with side effects); Run and "Where the time goes" send
 * `time` and `profile`. The answers come back as traits.
 */
import { GraphSession } from '../common/session';
import { whenNear } from './nearscreen';
import { WidgetTransport } from './transport';
import { WidgetView } from './view';
import { hasPacked, hideStatic, IWidgetModel, Traits, UnpackedModel } from './widgetmodel';

export type { IWidgetModel } from './widgetmodel';

/**
 * One graph session per model: a second view of the same output (a second
 * notebook window, a re-render) asks the kernel nothing twice.
 */
const sessions = new WeakMap<IWidgetModel, GraphSession>();

function sessionOf(model: IWidgetModel): GraphSession {
  let found = sessions.get(model);
  if (!found) {
    found = new GraphSession(new WidgetTransport(model));
    sessions.set(model, found);
  }
  return found;
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

/** Draw the widget in ``host`` and ask the kernel for what is missing; returns the cleanup. */
function draw(model: IWidgetModel, host: HTMLElement): () => void {
  hideStatic(new Traits(model).staticId);
  const session = sessionOf(model);
  const view = new WidgetView(session);
  host.replaceChildren(view.root);
  const stop = session.onChange(keys => view.update(keys));
  const { autorun, offers, devices, pending } = session.state;
  if (autorun && offers.timing && !devices) {
    session.askDevices();
  }
  for (const name of Object.keys(pending)) {
    void session.buildView(name)?.catch(() => undefined);
  }
  view.showAll();
  return () => {
    stop();
    view.dispose();
  };
}

export default { render };
