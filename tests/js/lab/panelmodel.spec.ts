import { EntryJSON } from '../../../labextension/src/common/messages';
import { PanelModel } from '../../../labextension/src/lab/panelmodel';
import { entry } from '../fixtures';

const entries = (list: EntryJSON[], dropped = 0) => ({ type: 'entries', entries: list, dropped });

describe('PanelModel', () => {
  it('lists the entries the kernel sends, newest first as sent', () => {
    const model = new PanelModel();
    model.setKernel('k1');
    expect(model.status).toBe('connecting');
    expect(model.handle(entries([entry('g2', 'b'), entry('g1', 'a')]))).toBe(true);
    expect(model.status).toBe('ready');
    expect(model.entries.map(e => e.name)).toEqual(['b', 'a']);
  });

  it('keeps an entry of a framework it has never heard of', () => {
    const model = new PanelModel();
    model.setKernel('k1');
    const list = [entry('g2', 'b', { framework: 'tinyexpr' }), entry('g1', 'a')];
    expect(model.handle(entries(list))).toBe(true);
    expect(model.entries.map(e => [e.name, e.framework])).toEqual([
      ['b', 'tinyexpr'],
      ['a', 'pytensor']
    ]);
  });

  it('counts the graphs the kernel let go, until the kernel changes', () => {
    const model = new PanelModel();
    model.setKernel('k1');
    model.handle(entries([entry('g9', 'z')], 4));
    expect(model.dropped).toBe(4);
    model.restarted();
    expect(model.dropped).toBe(0);
    model.handle(entries([entry('g1', 'a')], 2));
    model.setKernel('k2');
    expect(model.dropped).toBe(0);
  });

  it('clears on kernel change and on restart, then refills', () => {
    const model = new PanelModel();
    model.setKernel('k1');
    model.handle(entries([entry('g1', 'a')]));
    model.setKernel('k2');
    expect(model.entries).toHaveLength(0);
    model.handle(entries([entry('g1', 'c')]));
    model.restarted();
    expect(model.entries).toHaveLength(0);
    expect(model.status).toBe('connecting');
    model.handle(entries([entry('g1', 'd')]));
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
    model.handle(entries([entry('g1', 'a')]));
    let changes = 0;
    model.changed.connect(() => changes++);
    expect(model.handle({ type: 'execute', code: 'import os' })).toBe(false);
    expect(model.handle({ type: 'entries', entries: [{ id: 1 }], dropped: 0 })).toBe(false);
    const noPending: Partial<EntryJSON> = entry('g2', 'b');
    delete noPending.pending;
    expect(model.handle(entries([noPending as EntryJSON]))).toBe(false);
    expect(model.handle({ type: 'graph', id: 'g1' })).toBe(false);
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
