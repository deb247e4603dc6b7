/**
 * One graph at full size in an editor tab: the JupyterLab panel's document
 * (every view, search, inspector, rewrite stepper, compare, values and the
 * first NaN, export), its requests carried by the extension host, "Go to
 * cell" revealing the notebook cell, and export through VS Code's save
 * dialog.
 */
import '../../labextension/style/index.css';
import './theme.css';

import { Widget } from '@lumino/widgets';

import { GraphDocument } from '../../labextension/src/lab/graphdocument';
import { IKernelLink, ReplyOf } from '../../labextension/src/lab/kernellink';
import { PanelModel } from '../../labextension/src/lab/panelmodel';
import { PanelReply, PanelRequest } from '../../labextension/src/common/messages';
import { ask, onHostMessage, post, readMessage } from './host';

class HostLink implements IKernelLink {
  readonly model = new PanelModel();

  async request<T extends PanelReply['type']>(
    data: PanelRequest,
    replyType: T
  ): Promise<ReplyOf<T>> {
    const reply = await ask(data);
    if (reply.type !== replyType) {
      throw new Error(`the kernel answered ${reply.type}, not ${replyType}`);
    }
    return reply as ReplyOf<T>;
  }
}

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

const link = new HostLink();
let shown: GraphDocument | null = null;
saveThroughHost();

onHostMessage(message => {
  if (message.type !== 'show') {
    return;
  }
  void (async () => {
    if (message.others) {
      link.model.handle(await readMessage(message.others));
    }
    if (shown && shown.entry.id === message.entry.id) {
      return;
    }
    shown?.dispose();
    shown = new GraphDocument(link, message.entry, (executionCount, line) =>
      post({ type: 'goToCell', executionCount, line })
    );
    shown.node.dataset.entryName = message.entry.name;
    Widget.attach(shown, document.body);
  })();
});
window.addEventListener('resize', () => shown?.update());
post({ type: 'ready' });
