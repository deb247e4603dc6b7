/**
 * The graph model as it travels (kernel_ext/tgraph/graph.py's dataclasses,
 * `GraphBundle.to_json()`): each interface is the Python class's name plus
 * `JSON`. Declarations only. The JSON schema made from this file and
 * messages.ts (`npm run schema`) is the one source of the browser's runtime
 * checks (validators.ts) and of the field tables of docs/graph-format.md:
 * the first sentence of each field's comment is its "meaning" there.
 */

/** How a node is drawn: each kind has its own shape and colour. */
export type NodeKind = 'op' | 'input' | 'output' | 'constant' | 'shared';

/** Where a node came from in the user's code. */
export interface SourceJSON {
  /** 1-based cell line, counting the `%%tgraph` line. */
  line: number;
  /** The text of that line. */
  text: string;
  /** The file, for code defined outside the cell; empty in the cell. */
  file: string;
}

/** One box of the picture: an operation or a graph boundary value. */
export interface NodeJSON {
  /** Unique and stable within the view; the SVG group of the node has id `tg-<id>`. */
  id: string;
  /** Drawn with a different shape and colour each. */
  kind: NodeKind;
  /** The short text drawn in the box. */
  label: string;
  /** The operation (PyTensor Op, JAX primitive, HLO opcode). */
  op: string;
  /** The variable name, where there is one. */
  name: string;
  /** Of the value the node produces. */
  dtype: string;
  /** Of the value the node produces; `?` for an unknown size. */
  shape: string;
  /** Id of the Subgraph the node belongs to. */
  parent: string | null;
  /** The cell line that wrote it. */
  source: SourceJSON | null;
  /** Everything else the inspector shows (op parameters, value preview, broadcastable...). */
  attrs: { [key: string]: string };
  /** `created` (made by a rewrite), `forward` / `backward` / `residual` (gradient parts). */
  tags: string[];
}

/** A value flowing from `src` to input slot `slot` of `dst`. */
export interface EdgeJSON {
  /** Id of the node that produces the value. */
  src: string;
  /** Id of the node that takes it. */
  dst: string;
  /** Dtype and shape of the value. */
  label: string;
  /** Which input of `dst`. */
  slot: number;
  /** `update` for a shared-variable update. */
  tags: string[];
}

/** An inner graph (Composite, Scan, fusion, nested jit...), collapsed until expanded. */
export interface SubgraphJSON {
  /** Unique within the view; SVG id `tg-<id>`. */
  id: string;
  /** Drawn on the collapsed box. */
  label: string;
  /** Inner graphs: `Composite`, `Scan`, `jit`, `scan`, `while`, `fusion`...; groups of the program's structure: `pass`, `call`, `module`, `repeat`, `instance`, `inputs`, `outputs`, `term`; the layout's `group`. */
  kind: string;
  /** The enclosing subgraph. */
  parent: string | null;
  /** Extra facts (e.g. a fusion's kind). */
  attrs?: { [key: string]: string };
}

/** One view's graph (or a stepper snapshot). */
export interface GraphJSON {
  /** Operations and boundary values. */
  nodes: NodeJSON[];
  /** Values flowing between nodes. */
  edges: EdgeJSON[];
  /** Inner graphs, collapsed until expanded. */
  subgraphs: SubgraphJSON[];
  /** E.g. "y is not a scalar: showing the gradient of sum(y)". */
  notes: string[];
}

/** One rewrite that fired while the real compiler pipeline ran. */
export interface RewriteJSON {
  /** Order in which it fired. */
  step: number;
  /** The rewrite (e.g. `local_exp_over_1_plus_exp`). */
  name: string;
  /** Short text of the graph before. */
  replaced: string;
  /** Short text of the graph after. */
  replacement: string;
  /** Merge, constant folding and other bookkeeping, hidden by default. */
  noise: boolean;
  /** Ids of the top-level nodes this step created: in its `graph` when it has one (a node that survives keeps that id in the view), else in the view. */
  created: string[];
  /** The view whose graph it rewrote: `optimized` or `gradient`. */
  view?: string;
  /** The pass it ran in (`canonicalize`, `stabilize`, `specialize`, `fusion`, `inplace`, `merge`, ...); empty when unknown. */
  pass_name?: string;
  /** The first line of the rewrite's docstring, read from the installed framework; empty when it has none. */
  doc?: string;
  /** Every pass it is registered under, sorted; `pass_name` is the one it ran in. */
  passes?: string[];
  /** The module where it is defined (`pytensor.tensor.rewriting.math`); `""` when unknown. */
  module?: string;
  /** The 1-based line of its definition (its first decorator); `0` when unknown. The kernel sends its source on request (the `source` messages). */
  line?: number;
  /** Ids of top-level nodes of the previous step's graph (or of `rewrite_start`) that this step removed; empty without `graph`. */
  removed?: string[];
  /** The whole graph right after this step, for the stepper; null for noise steps and when the stepper is off. */
  graph?: GraphJSON | null;
}

/** Everything tgraph shows for one target of one cell. */
export interface GraphBundleJSON {
  /** Format version, `1`. */
  version?: number;
  /** The name in the user's namespace (a function or output variable). */
  target: string;
  /** The frontend's key (`pytensor`, `jax`, or any a plug-in chooses). */
  framework: string;
  /** Execution count of the cell that defined it. */
  cell: number | null;
  /** View name -> Graph: `original`, `optimized`, `gradient` (a frontend may add more). */
  views: { [view: string]: GraphJSON };
  /** PyTensor: the rewrites that fired, in order. */
  rewrites: RewriteJSON[];
  /** View name -> Graph: step 0 of the rewrite stepper, the graph as the rewriter first saw it, in the ids of `Rewrite.graph`; absent for a view whose stepper is off. */
  rewrite_start?: { [view: string]: GraphJSON };
  /** Things the user should know about the whole target. */
  notes: string[];
  /** Framework extras, e.g. JAX `stablehlo` text, `cost`, `memory`. */
  info: { [key: string]: unknown };
}
