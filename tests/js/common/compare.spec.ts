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
