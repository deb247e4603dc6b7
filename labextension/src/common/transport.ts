/**
 * How a host reaches the kernel for one graph: the only thing a host
 * implements to get a `GraphSession` (session.ts). No host imports here, so
 * any host can implement it:
 *
 * - the inline widget (widget/transport.ts): anywidget's model; requests go
 *   as custom messages, answers come back as synced traits (updates);
 * - the JupyterLab panel (lab/transport.ts): the `tgraph` comm; each request
 *   has a reply, turned into updates or answers;
 * - VS Code: its kernel API, carrying the panel's requests and replies.
 *
 * The contract:
 * - `snapshot()` is what the host knows of the graph now (possibly nothing
 *   until `request({type: 'graph'})` has been answered).
 * - `request(r)` sends one request. It resolves once the host has passed on
 *   what the kernel said: state (a built view, values, a picture of the
 *   graph as shown, timing rows) goes to the listeners as an update, before
 *   the promise resolves or at any later time (a widget's traits come when
 *   the kernel sends them); a question's answer (`IAnswers`: a rewrite's
 *   source, a stepper snapshot's picture, the Graphviz text) is the value.
 *   It rejects with an Error the user may read when the request cannot be
 *   sent or the kernel refused it, or when this host does not offer it.
 * - `listen(f)` passes every update, asked for or pushed by the kernel,
 *   until the returned function is called.
 */
import { GraphBundleJSON, GraphJSON } from './graph';
import {
  DevicesJSON,
  OffersJSON,
  PendingJSON,
  PictureJSON,
  ProfileJSON,
  SourceReply,
  TimingRowJSON,
  ViewValuesJSON
} from './messages';

/** Where and how big a timing or profile run is. */
export interface ITimingChoice {
  /** `cpu`, `gpu`, or `cpu:1`-style names for further devices. */
  device: string;
  /** A backend the kernel offered, or null to let the kernel choose. */
  backend: string | null;
  /** Size of unknown dimensions of made-up inputs, or null for the default. */
  size: number | null;
}

/** What a host shows of one graph; every host keeps the same. */
export interface IGraphState {
  bundle: GraphBundleJSON;
  offers: OffersJSON;
  /** View -> its picture as laid out now (with the subgraphs in `expanded` open). */
  pictures: Record<string, PictureJSON>;
  /** View -> the subgraphs open in its picture. */
  expanded: Record<string, string[]>;
  /** Views the kernel has not built yet. */
  pending: Record<string, PendingJSON>;
  /** View -> how many rewrite stepper snapshots the kernel holds (`steps` fetches them). */
  steps: Record<string, number>;
  /** View -> its values, once asked for. */
  values: Record<string, ViewValuesJSON>;
  /** Null until the kernel has looked. */
  devices: DevicesJSON | null;
  timings: TimingRowJSON[];
  /** A timing or profile run is queued or running. */
  busy: boolean;
  timingError: string;
  /** Null until a profile ran. */
  profile: ProfileJSON | null;
  status: string;
  error: string;
  /** Time by itself once every pending view has come. */
  autorun: boolean;
}

/** A change of some of the state; maps (`pictures`, `values`...) replace whole. */
export type IGraphUpdate = Partial<IGraphState>;

export type GraphRequest =
  /** The graph itself (the first paint); a widget has it already. */
  | { type: 'graph' }
  /** Build a pending view: an update takes it out of `pending`. */
  | { type: 'view'; view: string }
  | { type: 'values'; view: string }
  /** Lay out a view with these subgraphs open (`pictures`, `expanded`), or a stepper snapshot. */
  | { type: 'layout'; view: string; expanded: string[]; step?: number | null }
  | { type: 'steps'; view: string }
  | { type: 'source'; name: string }
  | { type: 'dot'; view: string; expanded: string[] }
  | { type: 'devices' }
  | { type: 'stop' }
  /** `automatic`: the run the widget starts by itself (never Run's). */
  | ({ type: 'time'; automatic?: boolean } & Partial<ITimingChoice>)
  | ({ type: 'profile' } & Partial<ITimingChoice>);

/** The stepper's snapshots of one view: before any rewrite, and after each by its step. */
export interface IStepsAnswer {
  start: GraphJSON | null;
  snapshots: Record<string, GraphJSON>;
}

/** What each request resolves with; `void` where only updates answer. */
export interface IAnswers {
  graph: void;
  view: void;
  values: void;
  /** A snapshot's picture; null where the picture comes as an update. */
  layout: PictureJSON | null;
  steps: IStepsAnswer;
  source: SourceReply;
  dot: string;
  devices: void;
  stop: void;
  time: void;
  profile: void;
}

export type RequestOf<T extends GraphRequest['type']> = Extract<GraphRequest, { type: T }>;

export interface IGraphTransport {
  snapshot(): IGraphUpdate;
  request<T extends GraphRequest['type']>(request: RequestOf<T>): Promise<IAnswers[T]>;
  listen(listener: (update: IGraphUpdate) => void): () => void;
}
