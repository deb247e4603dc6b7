/**
 * A graph at full size in an editor tab (one per graph of a kernel): the
 * webview's requests go to that kernel, "Go to cell" reveals the cell in
 * the notebook that made the graph, and an export is written where VS
 * Code's save dialog says.
 */
import * as path from 'path';
import * as vscode from 'vscode';

import { EntryJSON } from '../../labextension/src/common/messages';
import { KernelClient, KernelProblem } from './kernelclient';
import { Notebooks } from './notebooks';
import { IListUpdate, IReply, WebviewMessage } from './protocol';
import { webviewHtml } from './webviewhtml';

const FILTERS: Record<string, Record<string, string[]>> = {
  '.svg': { 'SVG picture': ['svg'] },
  '.png': { 'PNG picture': ['png'] },
  '.dot': { 'Graphviz source': ['dot'] },
  '.json': { 'tgraph graph': ['json'] }
};

export class GraphPanels implements vscode.Disposable {
  constructor(
    private readonly _extensionUri: vscode.Uri,
    private readonly _notebooks: Notebooks,
    /** Asked after a document built a view: the list's counts change. */
    private readonly _changed: () => void
  ) {}

  async open(entry: EntryJSON, list: IListUpdate | null): Promise<void> {
    const client = await this._notebooks.client();
    if (!(client instanceof KernelClient)) {
      return;
    }
    const notebook = this._notebooks.notebook;
    const key = `${notebook?.uri.toString()}#${entry.id}`;
    const existing = this._panels.get(key);
    if (existing) {
      existing.reveal(vscode.ViewColumn.Beside);
      return;
    }
    const panel = vscode.window.createWebviewPanel(
      'tgraph.graph',
      `${entry.name} · tgraph`,
      vscode.ViewColumn.Beside,
      {
        enableScripts: true,
        retainContextWhenHidden: true,
        localResourceRoots: [this._extensionUri]
      }
    );
    panel.iconPath = vscode.Uri.joinPath(this._extensionUri, 'media', 'icon.svg');
    this._panels.set(key, panel);
    panel.onDidDispose(() => this._panels.delete(key));
    panel.webview.onDidReceiveMessage((message: WebviewMessage) =>
      this._onMessage(panel, client, entry, list, message)
    );
    panel.webview.html = webviewHtml(panel.webview, this._extensionUri, 'document');
  }

  dispose(): void {
    this._panels.forEach(panel => panel.dispose());
  }

  private async _onMessage(
    panel: vscode.WebviewPanel,
    client: KernelClient,
    entry: EntryJSON,
    list: IListUpdate | null,
    message: WebviewMessage
  ): Promise<void> {
    if (message.type === 'ready') {
      await panel.webview.postMessage({ type: 'show', entry, others: list?.message ?? null });
    } else if (message.type === 'request') {
      const reply: IReply = { type: 'reply', id: message.id };
      try {
        reply.message = await client.request(message.request);
      } catch (error) {
        reply.error = error instanceof KernelProblem ? error.message : String(error);
      }
      await panel.webview.postMessage(reply);
      if (message.request.type === 'build' || message.request.type === 'values') {
        this._changed();
      }
    } else if (message.type === 'goToCell') {
      const shown = await this._notebooks.reveal(message.executionCount, message.line);
      if (!shown) {
        void vscode.window.showInformationMessage(
          `Cell [${message.executionCount}] is no longer in the notebook.`
        );
      }
    } else if (message.type === 'save') {
      await this._save(message.name, message.data);
    }
  }

  private async _save(name: string, data: Uint8Array): Promise<void> {
    const notebook = this._notebooks.notebook;
    const folder = notebook ? vscode.Uri.joinPath(notebook.uri, '..') : undefined;
    const target = await vscode.window.showSaveDialog({
      defaultUri: folder ? vscode.Uri.joinPath(folder, name) : undefined,
      filters: FILTERS[path.extname(name)],
      title: `Save ${name}`
    });
    if (target) {
      await vscode.workspace.fs.writeFile(target, data);
    }
  }

  private readonly _panels = new Map<string, vscode.WebviewPanel>();
}
