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

function cell(row: HTMLTableRowElement, content: string, cls: string): void {
  const td = row.insertCell();
  td.className = cls;
  td.textContent = content;
}

/** One row per graph (name, cell, nodes, last timing), opened by click or Enter/Space. */
export function fillEntries(
  body: HTMLTableSectionElement,
  entries: readonly EntryJSON[],
  open: (entry: EntryJSON) => void
): void {
  body.replaceChildren();
  for (const entry of entries) {
    const row = body.insertRow();
    row.className = 'tg-panel-row';
    row.tabIndex = 0;
    row.dataset.id = entry.id;
    row.title = `Open ${entry.name} at full size`;
    cell(row, `${entry.name} · ${entry.framework}`, 'tg-panel-name');
    cell(row, entry.cell === null ? '' : `[${entry.cell}]`, 'tg-panel-cell');
    cell(row, nodesText(entry), 'tg-panel-nodes');
    const timing = entry.timing;
    cell(row, timing ? `${formatSeconds(timing.median_s)} ${timing.device}` : '', 'tg-panel-time');
    row.addEventListener('click', () => open(entry));
    row.addEventListener('keydown', event => {
      if (event.key === 'Enter' || event.key === ' ') {
        event.preventDefault();
        open(entry);
      }
    });
  }
}
