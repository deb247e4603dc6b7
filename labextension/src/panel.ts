/**
 * The sidebar list: one row per graph the active notebook's kernel traced,
 * newest first. Rendering only; the rules live in PanelModel.
 */
import { Widget } from '@lumino/widgets';

import { IEntry, PanelModel } from './panelmodel';

const STATUS_TEXT: Record<string, string> = {
  'no-kernel': 'Open a notebook to see its graphs.',
  connecting: 'Connecting to the kernel…',
  'not-loaded': '%load_ext tgraph'
};

function seconds(value: number): string {
  if (value < 1e-3) {
    return `${(value * 1e6).toFixed(1)} µs`;
  }
  if (value < 1) {
    return `${(value * 1e3).toFixed(2)} ms`;
  }
  return `${value.toFixed(2)} s`;
}

function cell(row: HTMLTableRowElement, text: string, cls: string): void {
  const td = row.insertCell();
  td.className = cls;
  td.textContent = text;
}

export class GraphListPanel extends Widget {
  constructor(
    readonly model: PanelModel,
    private readonly _open: (entry: IEntry) => void
  ) {
    super();
    this.id = 'jupyter-tgraph-panel';
    this.addClass('tg-panel');
    this.title.caption = 'tgraph: graphs of this kernel';
    this._status = document.createElement('p');
    this._status.className = 'tg-panel-status';
    this._table = document.createElement('table');
    this._table.className = 'tg-panel-list';
    const head = this._table.createTHead().insertRow();
    for (const label of ['Graph', 'Cell', 'Nodes', 'Time']) {
      const th = document.createElement('th');
      th.textContent = label;
      head.appendChild(th);
    }
    this._table.createTBody();
    this.node.append(this._status, this._table);
    model.changed.connect(this._render, this);
    this._render();
  }

  private _render(): void {
    const { status, entries } = this.model;
    this._status.textContent = STATUS_TEXT[status] ?? '';
    if (status === 'ready' && !entries.length) {
      this._status.textContent = 'No graphs yet: run a %%tgraph cell.';
    }
    this._status.classList.toggle('tg-code', status === 'not-loaded');
    const body = this._table.tBodies[0];
    body.replaceChildren();
    this._table.hidden = entries.length === 0;
    for (const entry of entries) {
      const row = body.insertRow();
      row.className = 'tg-panel-row';
      row.tabIndex = 0;
      row.dataset.id = entry.id;
      row.title = `Open ${entry.name} at full size`;
      cell(row, `${entry.name} · ${entry.framework}`, 'tg-panel-name');
      cell(row, entry.cell === null ? '' : `[${entry.cell}]`, 'tg-panel-cell');
      const original = entry.nodes.original ?? 0;
      const optimized = entry.nodes.optimized ?? 0;
      cell(row, `${original} → ${optimized}`, 'tg-panel-nodes');
      const timing = entry.timing;
      cell(row, timing ? `${seconds(timing.median_s)} ${timing.device}` : '', 'tg-panel-time');
      row.addEventListener('click', () => this._open(entry));
      row.addEventListener('keydown', event => {
        if (event.key === 'Enter' || event.key === ' ') {
          event.preventDefault();
          this._open(entry);
        }
      });
    }
  }

  private _status: HTMLParagraphElement;
  private _table: HTMLTableElement;
}
