/**
 * One graph at full size in an editor tab: the JupyterLab panel's document
 * (every view, search, inspector, rewrite stepper, compare, values and the
 * first NaN, export), its requests carried by the extension host, "Go to
 * cell" revealing the notebook cell, and export through VS Code's save
 * dialog.
 */
import '../../labextension/style/index.css';
import './theme.css';

import { GraphDocumentView } from '../../labextension/src/common/document';
import { EntryJSON, PanelReply, PanelRequest } from '../../labextension/src/common/messages';
import { IPanelLink, PanelTransport, ReplyOf } from '../../labextension/src/common/paneltransport';
import { GraphSession } from '../../labextension/src/common/session';
import { ask, onHostMessage, post, readMessage } from './host';

/** The panel's protocol, carried by the extension host to the kernel. */
const link: IPanelLink = {
  async request<T extends PanelReply['type']>(data: PanelRequest, replyType: T) {
    const reply = await ask(data);
    if (reply.type !== replyType) {
      throw new Error(`the kernel answered ${reply.type}, not ${replyType}`);
    }
    return reply as ReplyOf<T>;
  }
};

/**
 * The document offers each export as a download; a webview cannot save one,
 * so the file goes to the extension host, which asks where with VS Code's
 * save dialog.
 */
function saveThroughHost(): void {
  const click = HTMLAnchorElement.prototype.click;
  HTMLAnchorElement.prototype.click = function (this: HTMLAnchorElement) {
    if (!this.download || !this.href.startsWith('blob:')) {
      click.call(this);
      return;
    }
    const name = this.download;
    void fetch(this.href)
      .then(response => response.arrayBuffer())
      .then(buffer => post({ type: 'save', name, data: new Uint8Array(buffer) }));
  };
}

/** The kernel's graphs when the tab opened, for the comparison. */
let entries: readonly EntryJSON[] = [];
let shown: GraphDocumentView | null = null;
saveThroughHost();

onHostMessage(message => {
  if (message.type !== 'show') {
    return;
  }
  void (async () => {
    if (message.others) {
      const listing = await readMessage(message.others);
      entries = listing.type === 'entries' ? listing.entries : entries;
    }
    if (shown && shown.id === message.entry.id) {
      return;
    }
    shown?.dispose();
    const sessionFor = (id: string) => new GraphSession(new PanelTransport(link, id));
    shown = new GraphDocumentView({
      entry: message.entry,
      session: sessionFor(message.entry.id),
      entries: () => entries,
      sessionFor,
      goToCell: (executionCount, line) => post({ type: 'goToCell', executionCount, line })
    });
    shown.node.dataset.entryName = message.entry.name;
    document.body.append(shown.node);
  })();
});
post({ type: 'ready' });
