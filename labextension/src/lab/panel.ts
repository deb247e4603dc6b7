/**
 * The sidebar list: one row per graph the active notebook's kernel traced,
 * newest first. Rendering only; the rules live in PanelModel.
 */
import { Widget } from '@lumino/widgets';

import { el, text } from '../common/dom';
import { droppedText, fillEntries } from '../common/entries';
import { EntryJSON } from '../common/messages';
import { PanelModel } from './panelmodel';

export { droppedText, nodesText } from '../common/entries';

const STATUS_TEXT: Record<string, string> = {
  'no-kernel': 'Open a notebook to see its graphs.',
  connecting: 'Connecting to the kernel…',
  'not-loaded': '%load_ext tgraph'
};

export class GraphListPanel extends Widget {
  constructor(
    readonly model: PanelModel,
    private readonly _open: (entry: EntryJSON) => void
  ) {
    super();
    this.id = 'jupyter-tgraph-panel';
    this.addClass('tg-panel');
    this.title.caption = 'tgraph: graphs of this kernel';
    this._status = el('p', 'tg-panel-status');
    this._table = el('table', 'tg-panel-list');
    const head = this._table.createTHead().insertRow();
    for (const label of ['Graph', 'Cell', 'Nodes', 'Time']) {
      head.appendChild(text('th', '', label));
    }
    this._table.createTBody();
    this._dropped = el('p', 'tg-panel-dropped');
    this.node.append(this._status, this._table, this._dropped);
    model.changed.connect(this._render, this);
    this._render();
  }

  private _render(): void {
    const { status, entries, dropped } = this.model;
    this._dropped.textContent = droppedText(dropped);
    this._dropped.hidden = !dropped;
    this._status.textContent = STATUS_TEXT[status] ?? '';
    if (status === 'ready' && !entries.length) {
      this._status.textContent = 'No graphs yet: run a %%tgraph cell.';
    }
    this._status.classList.toggle('tg-code', status === 'not-loaded');
    this._table.hidden = entries.length === 0;
    fillEntries(this._table.tBodies[0], entries, entry => this._open(entry));
  }

  private _status: HTMLParagraphElement;
  private _table: HTMLTableElement;
  private _dropped: HTMLParagraphElement;
}
