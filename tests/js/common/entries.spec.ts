import { fillEntries } from '../../../labextension/src/common/entries';
import { EntryJSON } from '../../../labextension/src/common/messages';
import { entry } from '../fixtures';

describe('fillEntries', () => {
  it('updates listed graphs in place, so a click during a refresh opens the graph', () => {
    const body = document.createElement('table').createTBody();
    const opened: string[] = [];
    const open = (e: EntryJSON) => opened.push(`${e.id}:${e.name}`);
    fillEntries(body, [entry('g1', 'f')], open);
    const row = body.rows[0];
    // a refresh: a newer graph on top, g1 renamed; g1 keeps its row element
    fillEntries(body, [entry('g2', 'h'), entry('g1', 'f2')], open);
    expect(Array.from(body.rows).map(r => r.dataset.id)).toEqual(['g2', 'g1']);
    expect(body.rows[1]).toBe(row);
    expect(row.cells[0].textContent).toContain('f2');
    row.click();
    row.dispatchEvent(new KeyboardEvent('keydown', { key: 'Enter' }));
    expect(opened).toEqual(['g1:f2', 'g1:f2']);
    fillEntries(body, [entry('g2', 'h')], open);
    expect(Array.from(body.rows).map(r => r.dataset.id)).toEqual(['g2']);
  });
});
