/** Small bundles in the kernel's JSON format, and an SVG shaped like Graphviz's. */
import { BundleJSON, GraphJSON, NodeJSON } from '../../labextension/src/graphmodel';

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

export function bundle(): BundleJSON {
  return {
    target: 'f',
    framework: 'pytensor',
    views: {
      gradient: graph(),
      original: graph(),
      optimized: graph(),
      extra_view: graph()
    },
    rewrites: [
      {
        step: 1,
        name: 'local_log1p',
        replaced: 'log(1 + x)',
        replacement: 'log1p(x)',
        noise: false,
        created: ['exp']
      },
      {
        step: 2,
        name: 'MergeOptimizer',
        replaced: 'a',
        replacement: 'b',
        noise: true,
        created: []
      },
      {
        step: 3,
        name: 'local_mul_canonizer',
        replaced: NASTY,
        replacement: 'y',
        noise: false,
        created: []
      },
      {
        step: 4,
        name: 'merge',
        replaced: 'c',
        replacement: 'd',
        noise: true,
        created: []
      }
    ],
    notes: ['the gradient of a non-scalar output is of its sum'],
    info: { stablehlo: 'module @jit_f { <tensor> }' },
    cell: 3
  };
}
