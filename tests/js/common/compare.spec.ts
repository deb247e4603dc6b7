import { pairNodes } from '../../../labextension/src/common/compare';
import { GraphJSON, NodeJSON } from '../../../labextension/src/common/graph';

const node = (id: string, kind: NodeJSON['kind'], op = '', name = ''): NodeJSON =>
  ({ id, kind, label: op || name, op, name, parent: null }) as NodeJSON;

const graph = (nodes: NodeJSON[]): GraphJSON => ({ nodes, edges: [], subgraphs: [], notes: [] });

describe('pairNodes', () => {
  it('pairs nodes by kind, op and name, in order, and reports the rest', () => {
    const original = graph([
      node('a', 'input', '', 'x'),
      node('b', 'op', 'neg'),
      node('c', 'op', 'exp'),
      node('d', 'op', 'add'),
      node('e', 'op', 'true_div'),
      node('f', 'output', '', 's')
    ]);
    const optimized = graph([
      node('p', 'input', '', 'x'),
      node('q', 'op', 'sigmoid'),
      node('r', 'output', '', 's')
    ]);
    const result = pairNodes(original, optimized);
    expect(result.pairs).toEqual([
      ['a', 'p'],
      ['f', 'r']
    ]);
    expect(result.onlyLeft).toEqual(['b', 'c', 'd', 'e']);
    expect(result.onlyRight).toEqual(['q']);
  });

  it('pairs repeated ops one to one', () => {
    const left = graph([node('a', 'op', 'add'), node('b', 'op', 'add')]);
    const right = graph([node('x', 'op', 'add')]);
    const result = pairNodes(left, right);
    expect(result.pairs).toEqual([['a', 'x']]);
    expect(result.onlyLeft).toEqual(['b']);
  });
});

/**
 * A jitted training step as the kernel groups it (tgraph/structure.py): the
 * forward pass calls `loss`, whose layers fold into "block ×N" (instances
 * `block [i]`, each calling `rms`); the backward pass runs them in reverse,
 * numbered from the end; the update folds per layer.
 */
function trainingStep(layers: number): GraphJSON {
  const nodes: NodeJSON[] = [node('x', 'input', '', 'x')];
  const subgraphs: GraphJSON['subgraphs'] = [];
  let made = 0;
  const group = (label: string, kind: string, parent: string | null, attrs = {}) => {
    const id = `g${++made}`;
    subgraphs.push({ id, label, kind, parent, attrs });
    return id;
  };
  const op = (op: string, parent: string) => {
    nodes.push({ ...node(`n${nodes.length}`, 'op', op), parent });
  };
  const blocks = (pass: string, backward: boolean) => {
    const loss = group('loss', 'call', pass);
    const fold = group(`block ×${layers}`, 'repeat', loss, { count: String(layers) });
    for (let i = 0; i < layers; i++) {
      const number = backward ? layers - 1 - i : i;
      const block = group(`block [${number}]`, 'call', fold, { instance: String(number) });
      const rms = group('rms', 'call', block);
      op(backward ? 'mul' : 'rsqrt', rms);
      op(backward ? 'dot_general' : 'tanh', block);
    }
    op('reduce_sum', loss);
  };
  blocks(group('forward', 'pass', null), false);
  blocks(group('backward', 'pass', null, { order: 'reversed' }), true);
  const update = group('update', 'pass', null);
  for (let i = 0; i < layers; i++) {
    op('sub', group('lambda', 'call', update));
  }
  nodes.push(node('loss_out', 'output', '', 'result[0]'));
  return { nodes, edges: [], subgraphs, notes: [] };
}

/** A label for each id of `graph`, to read pairs as a user would. */
function labels(graph: GraphJSON): (id: string) => string {
  const subs = new Map(graph.subgraphs.map(s => [s.id, s]));
  const nodes = new Map(graph.nodes.map(n => [n.id, n]));
  const path = (id: string | null): string => {
    const sub = id === null ? undefined : subs.get(id);
    return sub ? `${path(sub.parent)}/${sub.label}` : '';
  };
  return id => {
    const n = nodes.get(id);
    return n ? `${path(n.parent)}:${n.op || n.name}` : path(id);
  };
}

describe('pairNodes on groups', () => {
  const four = trainingStep(4);
  const two = trainingStep(2);
  const result = pairNodes(four, two);
  const [l, r] = [labels(four), labels(two)];
  const read = (pairs: [string, string][]) => pairs.map(([a, b]) => `${l(a)} = ${r(b)}`);

  it('pairs the passes, the folded layers by number and the calls inside them', () => {
    expect(read(result.groupPairs)).toEqual([
      '/forward = /forward',
      '/forward/loss = /forward/loss',
      '/forward/loss/block ×4 = /forward/loss/block ×2',
      '/forward/loss/block ×4/block [0] = /forward/loss/block ×2/block [0]',
      '/forward/loss/block ×4/block [0]/rms = /forward/loss/block ×2/block [0]/rms',
      '/forward/loss/block ×4/block [1] = /forward/loss/block ×2/block [1]',
      '/forward/loss/block ×4/block [1]/rms = /forward/loss/block ×2/block [1]/rms',
      '/backward = /backward',
      '/backward/loss = /backward/loss',
      '/backward/loss/block ×4 = /backward/loss/block ×2',
      // layer 1 and 0 come last in the backward pass, on both sides
      '/backward/loss/block ×4/block [1] = /backward/loss/block ×2/block [1]',
      '/backward/loss/block ×4/block [1]/rms = /backward/loss/block ×2/block [1]/rms',
      '/backward/loss/block ×4/block [0] = /backward/loss/block ×2/block [0]',
      '/backward/loss/block ×4/block [0]/rms = /backward/loss/block ×2/block [0]/rms',
      '/update = /update',
      '/update/lambda = /update/lambda',
      '/update/lambda = /update/lambda'
    ]);
    expect(result.groupsOnlyLeft.map(l)).toEqual([
      '/forward/loss/block ×4/block [2]',
      '/forward/loss/block ×4/block [2]/rms',
      '/forward/loss/block ×4/block [3]',
      '/forward/loss/block ×4/block [3]/rms',
      '/backward/loss/block ×4/block [3]',
      '/backward/loss/block ×4/block [3]/rms',
      '/backward/loss/block ×4/block [2]',
      '/backward/loss/block ×4/block [2]/rms',
      '/update/lambda',
      '/update/lambda'
    ]);
    expect(result.groupsOnlyRight).toEqual([]);
  });

  it('pairs the nodes of paired groups with each other', () => {
    expect(read(result.pairs).slice(0, 6)).toEqual([
      ':x = :x',
      '/forward/loss/block ×4/block [0]/rms:rsqrt = /forward/loss/block ×2/block [0]/rms:rsqrt',
      '/forward/loss/block ×4/block [0]:tanh = /forward/loss/block ×2/block [0]:tanh',
      '/forward/loss/block ×4/block [1]/rms:rsqrt = /forward/loss/block ×2/block [1]/rms:rsqrt',
      '/forward/loss/block ×4/block [1]:tanh = /forward/loss/block ×2/block [1]:tanh',
      '/forward/loss:reduce_sum = /forward/loss:reduce_sum'
    ]);
    expect(result.onlyLeft.map(l).slice(0, 2)).toEqual([
      '/forward/loss/block ×4/block [2]/rms:rsqrt',
      '/forward/loss/block ×4/block [2]:tanh'
    ]);
    expect(result.onlyLeft).toHaveLength(10);
    expect(result.onlyRight).toEqual([]);
  });

  it('says where the step changed: the layer counts', () => {
    expect(result.headlines.map(c => c.text)).toEqual([
      'block ×4 ↔ block ×2 in forward',
      'block ×4 ↔ block ×2 in backward',
      'update: 4 ops ↔ 2 ops'
    ]);
    expect(result.changed.map(c => l(c.left))).toEqual([
      '/forward',
      '/forward/loss',
      '/forward/loss/block ×4',
      '/backward',
      '/backward/loss',
      '/backward/loss/block ×4',
      '/update'
    ]);
  });
});

describe('pairNodes on a fold against loose calls', () => {
  /**
   * The forward pass of 4 layers against 2 when the first layer differs from
   * the rest (it needs no gradient for its input): on the left, block and
   * "block ×3"; on the right, two loose calls of block that did not fold.
   */
  const sub = (id: string, label: string, kind: string, parent: string | null) => ({
    id,
    label,
    kind,
    parent,
    attrs: {}
  });
  const op = (id: string, name: string, parent: string): NodeJSON => ({
    ...node(id, 'op', name),
    parent
  });
  const left: GraphJSON = {
    nodes: [
      op('a', 'rsqrt', 'b0'),
      op('b', 'tanh', 'i0'),
      op('c', 'tanh', 'i1'),
      op('d', 'tanh', 'i2')
    ],
    edges: [],
    notes: [],
    subgraphs: [
      sub('loss', 'loss', 'call', null),
      sub('b0', 'block', 'call', 'loss'),
      sub('fold', 'block ×3', 'repeat', 'loss'),
      sub('i0', 'block [0]', 'call', 'fold'),
      sub('i1', 'block [1]', 'call', 'fold'),
      sub('i2', 'block [2]', 'call', 'fold')
    ]
  };
  const right: GraphJSON = {
    nodes: [op('p', 'rsqrt', 'c0'), op('q', 'tanh', 'c1')],
    edges: [],
    notes: [],
    subgraphs: [
      sub('loss', 'loss', 'call', null),
      sub('c0', 'block', 'call', 'loss'),
      sub('c1', 'block', 'call', 'loss')
    ]
  };

  it('pairs the fold’s first instance with the second loose call, the rest one-sided', () => {
    const result = pairNodes(left, right);
    expect(result.groupPairs).toEqual([
      ['loss', 'loss'],
      ['b0', 'c0'],
      ['i0', 'c1']
    ]);
    expect(result.groupsOnlyLeft).toEqual(['i1', 'i2']);
    expect(result.pairs).toEqual([
      ['a', 'p'],
      ['b', 'q']
    ]);
    expect(result.onlyLeft).toEqual(['c', 'd']);
    expect(result.headlines.map(c => c.text)).toEqual(['loss: 4 ops ↔ 2 ops']);
  });
});
