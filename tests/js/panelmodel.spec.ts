import { IEntry, PanelModel } from '../../labextension/src/panelmodel';

const entry = (id: string, name: string): IEntry => ({
  id,
  name,
  framework: 'pytensor',
  cell: 3,
  nodes: { original: 5, optimized: 2 },
  timing: null
});

describe('PanelModel', () => {
  it('lists the entries the kernel sends, newest first as sent', () => {
    const model = new PanelModel();
    model.setKernel('k1');
    expect(model.status).toBe('connecting');
    expect(model.handle({ type: 'entries', entries: [entry('g2', 'b'), entry('g1', 'a')] })).toBe(
      true
    );
    expect(model.status).toBe('ready');
    expect(model.entries.map(e => e.name)).toEqual(['b', 'a']);
  });

  it('clears on kernel change and on restart, then refills', () => {
    const model = new PanelModel();
    model.setKernel('k1');
    model.handle({ type: 'entries', entries: [entry('g1', 'a')] });
    model.setKernel('k2');
    expect(model.entries).toHaveLength(0);
    model.handle({ type: 'entries', entries: [entry('g1', 'c')] });
    model.restarted();
    expect(model.entries).toHaveLength(0);
    expect(model.status).toBe('connecting');
    model.handle({ type: 'entries', entries: [entry('g1', 'd')] });
    expect(model.entries.map(e => e.name)).toEqual(['d']);
  });

  it('says the extension is not loaded when the kernel refuses the comm', () => {
    const model = new PanelModel();
    model.setKernel('k1');
    model.notLoaded();
    expect(model.status).toBe('not-loaded');
  });

  it('ignores messages it does not define and malformed entries', () => {
    const model = new PanelModel();
    model.setKernel('k1');
    model.handle({ type: 'entries', entries: [entry('g1', 'a')] });
    let changes = 0;
    model.changed.connect(() => changes++);
    expect(model.handle({ type: 'execute', code: 'import os' })).toBe(false);
    expect(model.handle({ type: 'entries', entries: [{ id: 1 }] })).toBe(false);
    expect(model.handle(null)).toBe(false);
    expect(changes).toBe(0);
    expect(model.entries.map(e => e.name)).toEqual(['a']);
  });

  it('has no kernel to follow when the notebook closes', () => {
    const model = new PanelModel();
    model.setKernel('k1');
    model.setKernel(null);
    expect(model.status).toBe('no-kernel');
  });
});
