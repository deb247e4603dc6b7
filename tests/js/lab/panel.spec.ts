import { EntryJSON } from '../../../labextension/src/common/messages';
import { GraphListPanel, droppedText, nodesText } from '../../../labextension/src/lab/panel';
import { PanelModel } from '../../../labextension/src/lab/panelmodel';
import { entry, timingRow } from '../fixtures';

function listed(list: EntryJSON[], dropped = 0) {
  const model = new PanelModel();
  const opened: string[] = [];
  const panel = new GraphListPanel(model, e => opened.push(e.id));
  model.setKernel('k1');
  model.handle({ type: 'entries', entries: list, dropped });
  const rows = () =>
    Array.from(panel.node.querySelectorAll<HTMLTableRowElement>('.tg-panel-row')).map(r =>
      Array.from(r.cells).map(c => c.textContent)
    );
  return { model, panel, opened, rows };
}

describe('GraphListPanel', () => {
  it('shows every entry, any framework as the kernel names it', () => {
    const { rows } = listed([
      entry('g2', 'loss', { framework: 'tinyexpr', cell: 7, timing: timingRow() }),
      entry('g1', 'f', { cell: null, pending: ['optimized'] })
    ]);
    expect(rows()).toEqual([
      ['loss · tinyexpr', '[7]', '5 → 2', '10.0 µs cpu:0'],
      ['f · pytensor', '', '5 → …', '']
    ]);
  });

  it('says how many older graphs were let go', () => {
    const { panel } = listed([entry('g9', 'z')], 3);
    const note = panel.node.querySelector<HTMLElement>('.tg-panel-dropped')!;
    expect(note.hidden).toBe(false);
    expect(note.textContent).toBe("3 older graphs were let go to bound the kernel's memory");
    expect(droppedText(1)).toBe("1 older graph was let go to bound the kernel's memory");
    expect(
      listed([entry('g1', 'a')]).panel.node.querySelector<HTMLElement>('.tg-panel-dropped')!.hidden
    ).toBe(true);
  });

  it('opens an entry by click or by Enter', () => {
    const { panel, opened } = listed([entry('g2', 'b'), entry('g1', 'a')]);
    const rows = panel.node.querySelectorAll<HTMLElement>('.tg-panel-row');
    rows[1].click();
    rows[0].dispatchEvent(new KeyboardEvent('keydown', { key: 'Enter' }));
    expect(opened).toEqual(['g1', 'g2']);
  });

  it('says what to do when the kernel has no tgraph or no graphs', () => {
    const { model, panel } = listed([]);
    const status = () => panel.node.querySelector('.tg-panel-status')!.textContent;
    expect(status()).toBe('No graphs yet: run a %%tgraph cell.');
    model.notLoaded();
    expect(status()).toBe('%load_ext tgraph');
  });

  it('counts nodes of views still being built as pending', () => {
    expect(nodesText(entry('g', 'f', { nodes: { original: 12 }, pending: ['optimized'] }))).toBe(
      '12 → …'
    );
    expect(nodesText(entry('g', 'f', { nodes: { original: 12 } }))).toBe('12 → 0');
  });
});
