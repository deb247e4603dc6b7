/**
 * The side bar's list: one row per graph the active notebook's kernel
 * traced, newest first (name, cell, nodes before -> after rewriting, last
 * timing). A row opens the graph at full size in an editor tab. Every state
 * without graphs says what to do.
 */
import '../../labextension/style/index.css';
import './theme.css';

import { el, text } from '../../labextension/src/common/dom';
import { droppedText, fillEntries } from '../../labextension/src/common/entries';
import { EntriesReply, EntryJSON } from '../../labextension/src/common/messages';
import type { IListUpdate, ListStatus } from '../src/protocol';
import { onHostMessage, post, readMessage } from './host';

/** What the user should do, per state; `detail` from the host completes it. */
const ADVICE: Record<Exclude<ListStatus, 'ready'>, string> = {
  'no-jupyter':
    'tgraph reaches the kernel through the Jupyter extension (ms-toolsai.jupyter): install it, then open a notebook.',
  'no-notebook': 'Open a notebook to see its graphs.',
  'no-kernel': "Run a cell: the list shows the graphs of the notebook's kernel once it runs.",
  'not-installed':
    "jupyter-tgraph is not installed in this kernel's environment: pip install jupyter-tgraph there, then restart the kernel.",
  'not-loaded': 'tgraph is not loaded in this kernel: run %load_ext tgraph in a cell.',
  failed: 'The kernel could not list its graphs.',
  connecting: 'Asking the kernel for its graphs…'
};

const status = el('p', 'tg-panel-message');
const table = el('table', 'tg-panel-list');
const dropped = el('p', 'tg-panel-dropped');
const root = el('div', 'tg-panel tg-root');
root.append(status, table, dropped);
document.body.classList.add('tg-sidebar');
document.body.append(root);

const head = table.createTHead().insertRow();
for (const label of ['Graph', 'Cell', 'Nodes', 'Time']) {
  head.appendChild(text('th', '', label));
}
table.createTBody();
table.hidden = true;

function open(entry: EntryJSON): void {
  post({ type: 'open', entry });
}

function showEntries(listing: EntriesReply): void {
  fillEntries(table.tBodies[0], listing.entries, open);
  table.hidden = listing.entries.length === 0;
  status.textContent = listing.entries.length ? '' : 'No graphs yet: run a %%tgraph cell.';
  dropped.textContent = droppedText(listing.dropped);
  dropped.hidden = !listing.dropped;
}

async function update(message: IListUpdate): Promise<void> {
  root.dataset.status = message.status;
  if (message.status !== 'ready' || !message.message) {
    // another notebook's graphs must not linger
    table.tBodies[0].replaceChildren();
    table.hidden = true;
    dropped.hidden = true;
    const advice = message.status === 'ready' ? '' : ADVICE[message.status];
    status.textContent = [advice, message.detail].filter(Boolean).join(' ');
    return;
  }
  const listing = await readMessage(message.message);
  if (listing.type !== 'entries') {
    return;
  }
  showEntries(listing);
  // For the bench: when the list showed what the cell made, after the cell ended.
  root.dataset.renderedAt = String(Date.now());
  root.dataset.cellEndedAt = message.cellEndedAt === null ? '' : String(message.cellEndedAt);
}

let updates = Promise.resolve();
onHostMessage(message => {
  if (message.type === 'list') {
    updates = updates.then(() => update(message)).catch(() => undefined);
  }
});
post({ type: 'ready' });
