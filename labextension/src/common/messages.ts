/**
 * Every message and widget trait that crosses between kernel and browser,
 * mirroring kernel_ext/tgraph/messages.py name for name and field for field.
 *
 * `npm run schema` prints the JSON schema of these declarations; a Python
 * test validates the messages the kernel sends against it, so the two sides
 * cannot drift apart. The names keep Python's TypedDict names (no `I`
 * prefix) so each schema definition is found under its Python name.
 * Declarations only: the checks of data as it arrives are generated from
 * the same schema (validators.generated.ts, by labextension/scripts/wire.cjs).
 */

// -- shared pieces -------------------------------------------------------------

export interface ViewOfferJSON {
  name: string;
  title: string;
}

export interface TextOfferJSON {
  key: string;
  title: string;
}

/** What one graph offers: the browser draws tabs and controls from this. */
export interface OffersJSON {
  views: ViewOfferJSON[];
  rewrites: boolean;
  stepper: boolean;
  texts: TextOfferJSON[];
  timing: boolean;
  backend_label: string;
  show_noise: boolean;
}

/**
 * A view not built yet. `started` is the kernel's clock (epoch seconds) when
 * it began building, null while it waits for the kernel.
 */
export interface PendingJSON {
  task: string;
  started: number | null;
}

/** A box the layout made to cut a big flat graph into bands (a `group` subgraph). */
export interface GroupJSON {
  id: string;
  label: string;
  kind: string;
  parent: string | null;
  members: string[];
}

export interface LayoutMetaJSON {
  engine?: string;
  seconds?: number;
  visible?: number;
  collapsed?: string[];
  groups?: GroupJSON[];
  expanded?: string[];
  error?: string;
}

/** One laid-out view: SVG and its meta, or why it could not be laid out. */
export interface PictureJSON {
  svg?: string;
  meta?: LayoutMetaJSON;
  error?: string;
}

export interface DeviceJSON {
  name: string;
  kind: string;
  description: string;
}

export interface BackendJSON {
  name: string;
  available: boolean;
  reason: string;
  gpu: boolean;
}

export interface GpuJSON {
  available: boolean;
  reason: string;
}

/** `Devices.to_json()`; `backends` is empty for a framework with one. */
export interface DevicesJSON {
  devices: DeviceJSON[];
  gpu: GpuJSON;
  backends: BackendJSON[];
  /** The device toggle chosen until the user picks one ("cpu", "gpu", "gpu:1"). */
  default: string;
}

/** `TimingResult.row()`; every time in seconds, `samples` per call. */
export interface TimingRowJSON {
  target: string;
  framework: string;
  device: string;
  backend: string;
  compile_s: number | null;
  compile_cached: boolean | null;
  first_call_s: number | null;
  samples: number[];
  number: number;
  calls: number;
  transfer_s: number | null;
  signature: string;
  input_devices: string[];
  output_devices: string[];
  on_device: boolean | null;
  budget_s: number;
  elapsed_s: number;
  interrupted: boolean;
  budget_exhausted: boolean;
  error: string | null;
  notes: string[];
  median_s: number | null;
  iqr_s: number | null;
  min_s: number | null;
}

export interface ProfileEntryJSON {
  key: string;
  label: string;
  seconds: number;
  fraction: number;
  count: number;
}

/**
 * `ProfileResult.to_json()`: seconds per call; `colours` maps node ids of
 * `view` to their fraction of the call (0..1).
 */
export interface ProfileJSON {
  target: string;
  framework: string;
  backend: string;
  timed_backend: string | null;
  device: string;
  view: string;
  calls: number;
  total_s: number;
  top: ProfileEntryJSON[];
  colours: { [nodeId: string]: number };
  notes: string[];
}

// -- values on the graph -----------------------------------------------------------

/** One node's value, summarised: min/max/mean over its finite elements. */
export interface ValueJSON {
  shape: number[];
  dtype: string;
  min: number | null;
  max: number | null;
  mean: number | null;
  nan: number;
  inf: number;
  preview: string;
  error: string;
  /** Present (true) for a constant or a value computed from constants alone,
   * which the first-NaN search passes over. */
  constant?: boolean;
}

/** The earliest node in topological order whose value has a NaN or an inf. */
export interface NonFiniteJSON {
  node: string;
  label: string;
  finite_inputs: string[];
  nonfinite_inputs: string[];
  inner: string;
  inner_label: string;
  reading: string;
}

/** One output as written against as optimized, on the same inputs. */
export interface DifferenceJSON {
  output: string;
  original: ValueJSON;
  optimized: ValueJSON;
  abs_diff: number | null;
  rel_diff: number | null;
  rewrites: string[];
  reading: string;
}

/** Every node's value in one view (`nodes` by node id), and what stands out. */
export interface ViewValuesJSON {
  view: string;
  inputs: string;
  made_up: boolean;
  nodes: { [nodeId: string]: ValueJSON };
  first_nonfinite: NonFiniteJSON | null;
  differences: DifferenceJSON[];
  notes: string[];
  error: string;
  seconds: number;
}

// -- the inline widget -----------------------------------------------------------

/** The synced traits of `GraphWidget` (besides anywidget's own). */
export interface WidgetState {
  /**
   * The graph model, `GraphBundleJSON` in graph.ts.
   * `bundle` and each `svg` travel packed (base64 of gzip, unpacked by
   * widgetmodel.ts); an unpacked SVG starts with `<`.
   */
  bundle: string | { [key: string]: unknown };
  offers: OffersJSON;
  svg: { [view: string]: string };
  layouts: { [view: string]: LayoutMetaJSON };
  expanded: { [view: string]: string[] };
  pending: { [view: string]: PendingJSON };
  status: string;
  error: string;
  /** `{}` until the kernel has looked (Python: `dict[str, Any]`). */
  devices: DevicesJSON | { [key: string]: unknown };
  timings: TimingRowJSON[];
  busy: boolean;
  timing_error: string;
  /** `{}` until a profile ran. */
  profile: ProfileJSON | { [key: string]: unknown };
  autorun: boolean;
  /** view name -> its values, once the front end asked (`ValuesRequest`). */
  values: { [view: string]: ViewValuesJSON };
  /** Marks the output's static copy, hidden where the widget renders. */
  static_id: string;
}

export interface TimeRequest {
  type: 'time';
  device?: string;
  backend?: string | null;
  size?: number | null;
  /** True for the run the widget starts by itself once on screen (absent for
   * Run): the kernel refuses it for a program with side effects. */
  automatic?: boolean;
}

export interface ProfileRequest {
  type: 'profile';
  device?: string;
  backend?: string | null;
  size?: number | null;
}

/** Build a pending view now (sent when a lazy tab is opened or on screen). */
export interface ViewRequest {
  type: 'view';
  view: string;
}

/** Discover devices (sent once the widget is on screen). */
export interface DevicesRequest {
  type: 'devices';
}

/**
 * The source of one of the graph's rewrites. It names a rewrite, never a
 * file: the kernel reads only definitions its graph's rewrites point to.
 */
export interface SourceRequest {
  type: 'source';
  name: string;
}

/** The widget's answer to `SourceRequest`, sent as a custom message. */
export interface SourceReply {
  type: 'source';
  name: string;
  module: string;
  line: number;
  source: string;
  error?: string;
}

/**
 * Compute the values of one view (the widget's "values" toggle); the answer
 * lands in the widget's `values` trait under the view's name.
 */
/**
 * Stop the timing or profile run that is queued or running: a running one
 * ends as Ctrl-C would end it, keeping what it measured.
 */
export interface StopRequest {
  type: 'stop';
}

export interface ValuesRequest {
  type: 'values';
  view: string;
}

export type WidgetRequest =
  | TimeRequest
  | ProfileRequest
  | ViewRequest
  | DevicesRequest
  | StopRequest
  | ValuesRequest
  | SourceRequest;

// -- the side panel's comm --------------------------------------------------------

export interface EntryJSON {
  id: string;
  name: string;
  framework: string;
  cell: number | null;
  nodes: { [view: string]: number };
  pending: string[];
  timing: TimingRowJSON | null;
}

export interface ListRequest {
  type: 'list';
}

export interface GetRequest {
  type: 'get';
  id: string;
}

/** The rewrite stepper's snapshots of one view, asked for when the stepper opens. */
export interface StepsRequest {
  type: 'steps';
  id: string;
  view: string;
}

/** Build a pending view of a graph; the reply is a fresh `GraphReply`. */
export interface BuildRequest {
  type: 'build';
  id: string;
  view: string;
}

export interface LayoutRequest {
  type: 'layout';
  id: string;
  view: string;
  expanded: string[];
  step?: number | null;
}

export interface DotRequest {
  type: 'dot';
  id: string;
  view: string;
  expanded: string[];
  step?: number | null;
}

/** The source of one of graph `id`'s rewrites (see `SourceRequest`). */
export interface RewriteSourceRequest {
  type: 'source';
  id: string;
  name: string;
}

/** The panel's document asks for the values of one view of a graph. */
export interface PanelValuesRequest {
  type: 'values';
  id: string;
  view: string;
}

export type PanelRequest =
  | ListRequest
  | GetRequest
  | StepsRequest
  | BuildRequest
  | LayoutRequest
  | DotRequest
  | PanelValuesRequest
  | RewriteSourceRequest;

export interface EntriesReply {
  type: 'entries';
  entries: EntryJSON[];
  /** How many older graphs the kernel let go to stay within its bounds. */
  dropped: number;
}

/**
 * What a document's first paint needs: the bundle without the stepper's
 * snapshots (most of a big bundle), `steps` saying per view how many there
 * are (`StepsRequest` fetches them).
 */
export interface GraphReply {
  type: 'graph';
  id: string;
  bundle: { [key: string]: unknown };
  offers: OffersJSON;
  layouts: { [view: string]: PictureJSON };
  pending: { [view: string]: PendingJSON };
  steps: { [view: string]: number };
}

/**
 * `start`: the view before any rewrite; `snapshots`: the graph right after
 * each rewrite of the view that has one, keyed by the rewrite's `step`.
 */
export interface StepsReply {
  type: 'steps';
  id: string;
  view: string;
  start: { [key: string]: unknown } | null;
  snapshots: { [step: string]: { [key: string]: unknown } };
}

export interface LayoutReply {
  type: 'layout';
  id: string;
  view: string;
  step: number | null;
  svg?: string;
  meta?: LayoutMetaJSON;
  error?: string;
}

export interface DotReply {
  type: 'dot';
  id: string;
  view: string;
  step: number | null;
  dot: string;
}

export interface RewriteSourceReply {
  type: 'source';
  id: string;
  name: string;
  module: string;
  line: number;
  source: string;
  error?: string;
}

export interface ValuesReply {
  type: 'values';
  id: string;
  view: string;
  values: ViewValuesJSON;
}

export type PanelReply =
  | EntriesReply
  | GraphReply
  | StepsReply
  | LayoutReply
  | DotReply
  | ValuesReply
  | RewriteSourceReply;

/**
 * A big `PanelReply` as it travels: `reply` is base64 of the gzip of its JSON
 * (`static.pack`). Text, not a binary buffer, so that it survives a gateway's
 * relay (see `registry.wire`).
 */
export interface PackedReply {
  type: 'packed';
  reply: string;
}

/** What the panel's comm carries from the kernel: a reply, plain or packed. */
export type PanelMessage = PanelReply | PackedReply;
