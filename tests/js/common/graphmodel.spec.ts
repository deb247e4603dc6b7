import { GraphModel, SearchCursor, viewTitle } from '../../../labextension/src/common/graphmodel';
import { NASTY, graph } from '../fixtures';

describe('GraphModel.search', () => {
  const model = new GraphModel(graph());

  it('matches op, name, label and dtype case-insensitively, in graph order', () => {
    expect(model.search('ELEMWISE')).toEqual(['mul', 'add', 'exp']);
    expect(model.search('weights')).toEqual(['w']);
    expect(model.search('float32')).toEqual(['w', 'exp']);
  });

  it('requires every term and honours field:value terms', () => {
    expect(model.search('elemwise float32')).toEqual(['exp']);
    expect(model.search('dtype:float64')).toEqual(['x', 'mul', 'add']);
    expect(model.search('kind:input')).toEqual(['x']);
    expect(model.search('op:mul')).toEqual(['mul']);
  });

  it('finds nothing for blank or unmatched queries', () => {
    expect(model.search('   ')).toEqual([]);
    expect(model.search('nope')).toEqual([]);
  });
});

describe('GraphModel containment', () => {
  it('walks from a node up through subgraphs and synthetic groups', () => {
    const model = new GraphModel(graph(), {
      groups: [
        {
          id: 'group-1',
          label: 'ops 1–2',
          kind: 'group',
          parent: null,
          members: ['comp', 'mul']
        }
      ]
    });
    expect(model.ancestry('add')).toEqual(['add', 'comp', 'group-1']);
    expect(model.ancestry('mul')).toEqual(['mul', 'group-1']);
    expect(model.subgraph('group-1')?.label).toBe('ops 1–2');
  });
});

describe('GraphModel.details', () => {
  const model = new GraphModel(graph());

  it('lists attributes, source line, neighbours and enclosing subgraph', () => {
    const rows = Object.fromEntries(model.details('mul'));
    expect(rows.op).toBe('Elemwise{mul}');
    expect(rows.source).toBe('line 3: y = x * w');
    expect(rows.inplace).toBe('no');
    expect(rows.inputs).toBe(`x (float64[3]); weights`);
    expect(rows['used by']).toBe('Add');
    expect(Object.fromEntries(model.details('add')).inside).toBe('Composite');
  });

  it('keeps names verbatim (escaping is the view’s job) and omits empty fields', () => {
    const rows = Object.fromEntries(model.details('w'));
    expect(rows.label).toBe(NASTY);
    expect(rows.op).toBeUndefined();
  });

  it('describes subgraphs and unknown ids', () => {
    expect(model.details('comp')[0]).toEqual(['subgraph', 'Composite']);
    expect(model.details('missing')).toEqual([]);
  });
});

describe('SearchCursor', () => {
  it('wraps around both ways and describes its position', () => {
    const c = new SearchCursor(['a', 'b', 'c']);
    expect(c.prev()).toBe('c');
    expect(c.next()).toBe('a');
    expect(c.next()).toBe('b');
    expect(c.describe()).toBe('2 / 3');
    expect(new SearchCursor([]).next()).toBeUndefined();
    expect(new SearchCursor([]).describe()).toBe('no match');
  });
});

describe('views and rewrites', () => {
  it('titles a view from its name where the kernel sent none', () => {
    expect(viewTitle('extra_view')).toBe('Extra view');
  });
});
