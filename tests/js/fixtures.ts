/** Small bundles in the kernel's JSON format, and an SVG shaped like Graphviz's. */
import {
  GraphBundleJSON,
  GraphJSON,
  NodeJSON,
  RewriteJSON
} from '../../labextension/src/common/graph';
import {
  DevicesJSON,
  EntryJSON,
  OffersJSON,
  TimingRowJSON,
  ValueJSON,
  ViewValuesJSON
} from '../../labextension/src/common/messages';

export function node(id: string, over: Partial<NodeJSON> = {}): NodeJSON {
  return {
    id,
    kind: 'op',
    label: id,
    op: '',
    name: '',
    dtype: '',
    shape: '',
    parent: null,
    source: null,
    attrs: {},
    tags: [],
    ...over
  };
}

export const NASTY = '<img src=x onerror="alert(1)"> & 中文';

export function graph(): GraphJSON {
  return {
    nodes: [
      node('x', {
        kind: 'input',
        label: 'x',
        name: 'x',
        dtype: 'float64',
        shape: '(3,)'
      }),
      node('w', {
        kind: 'shared',
        label: NASTY,
        name: 'weights',
        dtype: 'float32'
      }),
      node('mul', {
        label: 'Mul',
        op: 'Elemwise{mul}',
        dtype: 'float64',
        source: { line: 3, text: 'y = x * w', file: '' },
        attrs: { inplace: 'no' }
      }),
      node('add', {
        label: 'Add',
        op: 'Elemwise{add}',
        dtype: 'float64',
        parent: 'comp'
      }),
      node('exp', {
        label: 'Exp',
        op: 'Elemwise{exp}',
        dtype: 'float32',
        parent: 'comp'
      })
    ],
    edges: [
      { src: 'x', dst: 'mul', label: 'float64[3]', slot: 0, tags: [] },
      { src: 'w', dst: 'mul', label: '', slot: 1, tags: [] },
      { src: 'mul', dst: 'add', label: '', slot: 0, tags: [] },
      { src: 'add', dst: 'exp', label: '', slot: 0, tags: [] }
    ],
    subgraphs: [{ id: 'comp', label: 'Composite', kind: 'composite', parent: null }],
    notes: []
  };
}

function g(id: string, cls: string, label: string, x: number, y: number): string {
  return (
    `<g id="tg&#45;${id}" class="node ${cls}"><ellipse cx="${x}" cy="${y}" rx="20" ry="10"/>` +
    `<text x="${x}" y="${y}">${label}</text></g>`
  );
}

/** Collapsed picture: x, w, mul and the Composite box. */
export const SVG_COLLAPSED =
  '<svg width="200pt" height="300pt" viewBox="0.00 0.00 200.00 300.00" ' +
  'xmlns="http://www.w3.org/2000/svg"><g id="graph0" class="graph" transform="translate(4 296)">' +
  g('x', 'tg&#45;input', 'x', 40, -270) +
  g('w', 'tg&#45;shared', '&lt;img src=x onerror=&quot;alert(1)&quot;&gt; &amp; 中文', 140, -270) +
  g('mul', 'tg&#45;op', 'Mul', 90, -200) +
  g('comp', 'tg&#45;subgraph', 'Composite · 2 ops ▸', 90, -100) +
  '<g id="tg&#45;edge&#45;0" class="edge tg&#45;edge"><path d="M0,0"/></g>' +
  '<script>window.hacked = true</script></g></svg>';

/** Expanded picture: the Composite is a cluster holding add and exp. */
export const SVG_EXPANDED =
  '<svg viewBox="0 0 200 400" xmlns="http://www.w3.org/2000/svg">' +
  '<g id="graph0" class="graph" transform="translate(4 396)">' +
  '<g id="tg&#45;comp" class="cluster tg&#45;cluster"><path d="M0,0"/><text>Composite ▾</text></g>' +
  g('x', 'tg&#45;input', 'x', 40, -370) +
  g('mul', 'tg&#45;op', 'Mul', 90, -300) +
  g('add', 'tg&#45;op', 'Add', 90, -200) +
  g('exp', 'tg&#45;op', 'Exp', 90, -100) +
  '</g></svg>';

export function bundle(): GraphBundleJSON {
  return {
    target: 'f',
    framework: 'pytensor',
    views: {
      gradient: graph(),
      original: graph(),
      optimized: graph(),
      extra_view: graph()
    },
    // two rewrite runs interleaved, as the kernel records them
    rewrites: [
      rewrite(6, 'local_log1p', 'optimized', 'stabilize', { created: ['exp'] }),
      rewrite(7, 'MergeOptimizer', 'optimized', '', { noise: true }),
      rewrite(3, 'local_mul_canonizer', 'gradient', 'canonicalize', { replaced: NASTY }),
      rewrite(9, 'local_exp_over_1_plus_exp', 'optimized', 'specialize'),
      rewrite(4, 'constant_folding', 'gradient', '', { noise: true }),
      rewrite(5, 'fusion', 'gradient', 'fusion', { created: ['add'] })
    ],
    notes: ['the gradient of a non-scalar output is of its sum'],
    info: { stablehlo: 'module @jit_f { <tensor> }' },
    cell: 3
  };
}

/** What the fixture bundle offers, as the kernel would say it. */
export function offers(over: Partial<OffersJSON> = {}): OffersJSON {
  return {
    views: [
      { name: 'original', title: 'Original' },
      { name: 'optimized', title: 'Optimized' },
      { name: 'gradient', title: 'Gradient' },
      { name: 'extra_view', title: 'Extra view' }
    ],
    rewrites: true,
    stepper: false,
    texts: [{ key: 'stablehlo', title: 'StableHLO' }],
    timing: true,
    backend_label: 'backend',
    show_noise: false,
    ...over
  };
}

export const NO_GPU =
  "Unknown backend: 'gpu' requested, but no platforms that are instances of gpu are present.";

export function devices(gpu = false, cpus = 1, fallback = 'cpu'): DevicesJSON {
  const list = Array.from({ length: cpus }, (_, i) => ({
    name: `cpu:${i}`,
    kind: 'cpu',
    description: `TFRT_CPU_${i}`
  }));
  if (gpu) {
    list.push({ name: 'gpu:0', kind: 'gpu', description: 'H100' });
  }
  return {
    devices: list,
    gpu: { available: gpu, reason: gpu ? '' : NO_GPU },
    default: fallback,
    backends: [
      { name: 'numba', available: true, reason: '', gpu: false },
      { name: 'cvm', available: false, reason: 'no C++ compiler', gpu: false },
      { name: 'jax', available: true, reason: '', gpu: true }
    ]
  };
}

export function timingRow(over: Partial<TimingRowJSON> = {}): TimingRowJSON {
  return {
    target: 'f',
    framework: 'pytensor',
    device: 'cpu:0',
    backend: 'numba',
    compile_s: 0.4,
    compile_cached: false,
    first_call_s: 0.9,
    samples: [1e-5, 1.1e-5],
    number: 100,
    calls: 5000,
    transfer_s: null,
    signature: 'x: float64[100]',
    input_devices: [],
    output_devices: [],
    on_device: null,
    budget_s: 2,
    elapsed_s: 1.9,
    interrupted: false,
    budget_exhausted: false,
    error: null,
    notes: [],
    median_s: 1e-5,
    iqr_s: 1e-7,
    min_s: 9e-6,
    ...over
  };
}

export function rewrite(
  step: number,
  name: string,
  view: string,
  pass: string,
  over: Partial<RewriteJSON> = {}
): RewriteJSON {
  return {
    step,
    name,
    replaced: `${name}(x)`,
    replacement: 'y',
    noise: false,
    created: [],
    view,
    pass_name: pass,
    ...over
  };
}

/** One row of the panel list, as the kernel sends it. */
export const entry = (id: string, name: string, over: Partial<EntryJSON> = {}): EntryJSON => ({
  id,
  name,
  framework: 'pytensor',
  cell: 3,
  nodes: { original: 5, optimized: 2 },
  pending: [],
  timing: null,
  ...over
});

/** One node's value as the kernel summarises it. */
export function value(over: Partial<ValueJSON> = {}): ValueJSON {
  return {
    shape: [3],
    dtype: 'float64',
    min: -0.5,
    max: 2,
    mean: 0.8333333333333334,
    nan: 0,
    inf: 0,
    preview: '[-0.5, 1, 2]',
    error: '',
    ...over
  };
}

/** A view's values: `mul` is the first node with a NaN. */
export function viewValues(over: Partial<ViewValuesJSON> = {}): ViewValuesJSON {
  return {
    view: 'original',
    inputs: "the cell's inputs",
    made_up: false,
    nodes: {
      x: value({ min: 0.5, max: 3, preview: '[0.5, 2, 3]', mean: 1.8333333333333333 }),
      mul: value(),
      exp: value({ nan: 1, min: 1, max: 1.414, preview: '[nan, 1, 1.414]', mean: 1.207 })
    },
    first_nonfinite: {
      node: 'mul',
      label: 'Mul',
      finite_inputs: ['x'],
      nonfinite_inputs: [],
      inner: '',
      inner_label: '',
      reading: 'Mul is the first node with a non-finite value (1 NaN); its input x was finite'
    },
    differences: [],
    notes: [],
    error: '',
    seconds: 0.001,
    ...over
  };
}
