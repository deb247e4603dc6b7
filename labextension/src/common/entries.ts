/**
 * How a host lists the graphs of a kernel (`EntryJSON`): the words every
 * host's list uses, so the JupyterLab panel and VS Code's read the same.
 */
import { formatSeconds } from './dom';
import { EntryJSON } from './messages';

/** Nodes before and after rewriting; a view still being built reads "…". */
export function nodesText(entry: EntryJSON): string {
  const count = (view: string) =>
    entry.pending.includes(view) ? '…' : String(entry.nodes[view] ?? 0);
  return `${count('original')} → ${count('optimized')}`;
}

export function droppedText(dropped: number): string {
  if (dropped <= 0) {
    return '';
  }
  const graphs = dropped === 1 ? '1 older graph was' : `${dropped} older graphs were`;
  return `${graphs} let go to bound the kernel's memory`;
}

const CELLS = ['tg-panel-name', 'tg-panel-cell', 'tg-panel-nodes', 'tg-panel-time'];

/** The entry each row shows now (rows outlive a refresh). */
const SHOWN = new WeakMap<HTMLTableRowElement, EntryJSON>();

/** A row's texts: name, cell, nodes, last timing. */
function texts(entry: EntryJSON): string[] {
  const timing = entry.timing;
  return [
    `${entry.name} · ${entry.framework}`,
    entry.cell === null ? '' : `[${entry.cell}]`,
    nodesText(entry),
    timing ? `${formatSeconds(timing.median_s)} ${timing.device}` : ''
  ];
}

/** A new row for graph ``id`` that opens the entry it shows when clicked. */
function newRow(
  body: HTMLTableSectionElement,
  id: string,
  open: (entry: EntryJSON) => void
): HTMLTableRowElement {
  const row = body.insertRow();
  row.className = 'tg-panel-row';
  row.tabIndex = 0;
  row.dataset.id = id;
  for (const cls of CELLS) {
    row.insertCell().className = cls;
  }
  const opened = (): void => {
    const entry = SHOWN.get(row);
    if (entry) {
      open(entry);
    }
  };
  row.addEventListener('click', opened);
  row.addEventListener('keydown', event => {
    if (event.key === 'Enter' || event.key === ' ') {
      event.preventDefault();
      opened();
    }
  });
  return row;
}

/**
 * One row per graph (name, cell, nodes, last timing), opened by click or
 * Enter/Space. Rows of graphs already listed are updated in place, so a
 * click that lands while the list refreshes still opens its graph.
 */
export function fillEntries(
  body: HTMLTableSectionElement,
  entries: readonly EntryJSON[],
  open: (entry: EntryJSON) => void
): void {
  const rows = new Map(
    Array.from(body.rows).map(r => [r.dataset.id ?? '', r] as [string, HTMLTableRowElement])
  );
  const order = entries.map(entry => {
    const row = rows.get(entry.id) ?? newRow(body, entry.id, open);
    rows.delete(entry.id);
    SHOWN.set(row, entry);
    row.title = `Open ${entry.name} at full size`;
    texts(entry).forEach((t, i) => (row.cells[i].textContent = t));
    return row;
  });
  rows.forEach(row => row.remove());
  body.append(...order);
}
