/**
 * One graph as a host shows it, whatever the host: its state (bundle, views,
 * pictures, pending work, values, timing) and the requests about it, each
 * sent as often as it should be (a pending view, the values of a view and a
 * rewrite's source once; the automatic timing once, unless declined). Hosts
 * (the inline widget, the JupyterLab panel, VS Code) draw from it and
 * differ only in their `IGraphTransport` (transport.ts). No DOM here.
 */
import { GraphBundleJSON, RewriteJSON } from './graph';
import { emptyBundle, viewTitle } from './graphmodel';
import { OffersJSON, PendingJSON, PictureJSON, SourceReply } from './messages';
import {
  GraphRequest,
  IGraphState,
  IGraphTransport,
  IGraphUpdate,
  ITimingChoice
} from './transport';

export type StateKey = keyof IGraphState;

/** A rewrite that carries the graph right after it: one stop of the stepper. */
export interface IStep extends RewriteJSON {
  graph: NonNullable<RewriteJSON['graph']>;
}

/** The stepper's stops of ``view``, in order (none before its snapshots are loaded). */
export function stepsOf(bundle: GraphBundleJSON, view: string): IStep[] {
  if (!bundle.rewrite_start?.[view]) {
    return [];
  }
  return bundle.rewrites.filter((r): r is IStep => (r.view ?? 'optimized') === view && !!r.graph);
}

/** What a bundle offers when the kernel sent no offers (only its own views). */
export function offersOf(bundle: GraphBundleJSON): OffersJSON {
  return {
    views: Object.keys(bundle.views).map(name => ({ name, title: viewTitle(name) })),
    rewrites: bundle.rewrites.length > 0,
    stepper: false,
    texts: [],
    timing: false,
    backend_label: 'backend',
    show_noise: false
  };
}

function initialState(): IGraphState {
  const bundle = emptyBundle();
  return {
    bundle,
    offers: offersOf(bundle),
    pictures: {},
    expanded: {},
    pending: {},
    steps: {},
    values: {},
    devices: null,
    timings: [],
    busy: false,
    timingError: '',
    profile: null,
    status: '',
    error: '',
    autorun: false
  };
}

export class GraphSession {
  constructor(private readonly _transport: IGraphTransport) {
    this._apply(_transport.snapshot());
  }

  /** The state now (read only: it changes through the kernel's updates). */
  get state(): Readonly<IGraphState> {
    if (!this._listeners.size) {
      this._apply(this._transport.snapshot()); // nobody follows the transport: read it
    }
    return this._state;
  }

  /**
   * Call ``listener`` with the keys of each update. The session follows the
   * transport while someone listens, and reads its snapshot again on return.
   */
  onChange(listener: (keys: Set<StateKey>) => void): () => void {
    if (!this._listeners.size) {
      this._apply(this._transport.snapshot());
      this._stop = this._transport.listen(update => this._update(update));
    }
    this._listeners.add(listener);
    return () => {
      this._listeners.delete(listener);
      if (!this._listeners.size) {
        this._stop?.();
        this._stop = null;
      }
    };
  }

  /** Fetch the graph (a host without it at the start). */
  load(): Promise<void> {
    return this._send({ type: 'graph' });
  }

  // -- views and values ---------------------------------------------------------

  /** When ``view`` was first asked for (epoch seconds), or undefined. */
  askedAt(view: string): number | undefined {
    return this._viewsAsked.get(view);
  }

  /**
   * Ask the kernel to build a pending view, once: null when asked already,
   * else the request (rejected, and the view may be asked again, on failure).
   */
  buildView(view: string): Promise<void> | null {
    if (this._viewsAsked.has(view)) {
      return null;
    }
    this._viewsAsked.set(view, Date.now() / 1000);
    return this._send({ type: 'view', view }).catch(error => {
      this._viewsAsked.delete(view);
      throw error;
    });
  }

  /** A pending view as shown: from the moment it was asked for, if the kernel has not said. */
  pendingOf(view: string): PendingJSON | undefined {
    const pending = this._state.pending[view];
    const asked = this._viewsAsked.get(view);
    return pending && pending.started === null && asked !== undefined
      ? { ...pending, started: asked }
      : pending;
  }

  /** Whether the values of ``view`` were asked for. */
  valuesAsked(view: string): boolean {
    return this._valuesAsked.has(view);
  }

  /** Compute the values of ``view`` in the kernel, once (again only after a failure). */
  askValues(view: string): Promise<void> {
    if (this._valuesAsked.has(view) || view in this._state.values) {
      return Promise.resolve();
    }
    this._valuesAsked.add(view);
    return this._send({ type: 'values', view }).catch(error => {
      this._valuesAsked.delete(view);
      throw error;
    });
  }

  /** Lay ``view`` out again with ``expanded`` open; the picture comes as an update. */
  async expand(view: string, expanded: string[]): Promise<void> {
    await this._transport.request({ type: 'layout', view, expanded });
  }

  /** A rewrite's source, asked once per name. */
  source(name: string): Promise<SourceReply> {
    let found = this._sources.get(name);
    if (!found) {
      found = this._transport.request({ type: 'source', name });
      this._sources.set(name, found);
      found.catch(() => this._sources.delete(name));
    }
    return found;
  }

  /** The Graphviz text of a view as shown. */
  dot(view: string): Promise<string> {
    return this._transport.request({
      type: 'dot',
      view,
      expanded: this._state.expanded[view] ?? []
    });
  }

  // -- the rewrite stepper ---------------------------------------------------------

  /**
   * The stepper's snapshots of ``view`` into the bundle, fetched once: the
   * first paint goes without them (they are most of a big bundle).
   */
  async loadSteps(view: string): Promise<void> {
    if (this._stepsLoaded.has(view)) {
      return;
    }
    const answer = await this._transport.request({ type: 'steps', view });
    const bundle = this.state.bundle; // the transport's own: the snapshots stay with it
    if (answer.start) {
      bundle.rewrite_start = { ...bundle.rewrite_start, [view]: answer.start };
    }
    bundle.rewrites = bundle.rewrites.map(r => {
      const graph = answer.snapshots[String(r.step)];
      return (r.view ?? 'optimized') === view && graph ? { ...r, graph } : r;
    });
    this._stepsLoaded.add(view);
  }

  /** The first view with stepper snapshots, in the order of the offers. */
  stepView(): string | null {
    const { offers, steps } = this._state;
    return offers.views.map(v => v.name).find(v => (steps[v] ?? 0) > 0) ?? null;
  }

  /** The picture of the stepper at step ``k`` of ``view`` (0: before any rewrite). */
  stepPicture(view: string, k: number): Promise<PictureJSON | null> {
    return this._transport.request({ type: 'layout', view, step: k, expanded: [] });
  }

  // -- timing ----------------------------------------------------------------------

  get devicesAsked(): boolean {
    return this._devicesAsked;
  }

  /** Ask the kernel for its devices, once. */
  askDevices(): void {
    if (!this._devicesAsked) {
      this._devicesAsked = true;
      void this._send({ type: 'devices' }).catch(() => undefined);
    }
  }

  /** Automatic timing is neither sent nor declined yet. */
  get automaticWaiting(): boolean {
    return !this._automaticSent && !this._declined;
  }

  /** Time by itself once every pending view has come, unless declined or timed already. */
  get automaticDue(): boolean {
    const s = this._state;
    return s.autorun && s.offers.timing && !s.timings.length && this.automaticWaiting;
  }

  /**
   * Send the automatic timing request (once), marked so that the kernel can
   * refuse it for a program with side effects; true when sent now.
   */
  automatic(choice: ITimingChoice): boolean {
    if (!this.automaticWaiting) {
      return false;
    }
    this._automaticSent = true;
    void this._send({ type: 'time', ...choice, automatic: true }).catch(() => undefined);
    return true;
  }

  /** The user declined the automatic timing. */
  decline(): void {
    this._declined = true;
  }

  time(choice: ITimingChoice): void {
    this._automaticSent = true; // a run by hand stands in for the automatic one
    void this._send({ type: 'time', ...choice }).catch(() => undefined);
  }

  profile(choice: ITimingChoice): void {
    void this._send({ type: 'profile', ...choice }).catch(() => undefined);
  }

  /** Stop the timing or profile runs sent so far (queued or running). */
  stop(): void {
    void this._send({ type: 'stop' }).catch(() => undefined);
  }

  // -- state -------------------------------------------------------------------------

  private async _send(request: GraphRequest): Promise<void> {
    await this._transport.request(request);
  }

  /** Take an update from the transport and tell the listeners what changed. */
  private _update(update: IGraphUpdate): void {
    const keys = this._apply(update);
    if (keys.size) {
      for (const listener of Array.from(this._listeners)) {
        listener(keys);
      }
    }
  }

  private _apply(update: IGraphUpdate): Set<StateKey> {
    const keys = new Set(Object.keys(update) as StateKey[]);
    if (update.bundle && update.bundle !== this._state.bundle) {
      this._stepsLoaded.clear(); // a fresh bundle comes without snapshots
    }
    this._state = { ...this._state, ...update };
    return keys;
  }

  private _state: IGraphState = initialState();
  private _listeners = new Set<(keys: Set<StateKey>) => void>();
  private _stop: (() => void) | null = null;
  private _viewsAsked = new Map<string, number>();
  private _valuesAsked = new Set<string>();
  private _sources = new Map<string, Promise<SourceReply>>();
  private _stepsLoaded = new Set<string>();
  private _devicesAsked = false;
  private _automaticSent = false;
  private _declined = false;
}
