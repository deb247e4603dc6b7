/**
 * The side bar's view: asks the followed notebook's kernel for its list of
 * graphs after each cell and whenever the view shows, and opens a graph at
 * full size when its row is clicked.
 */
import * as vscode from 'vscode';

import { EntryJSON } from '../../labextension/src/common/messages';
import { KernelProblem } from './kernelclient';
import { Notebooks } from './notebooks';
import { IListUpdate, WebviewMessage } from './protocol';
import { webviewHtml } from './webviewhtml';

export const VIEW_ID = 'tgraph.graphs';

export class GraphListView implements vscode.WebviewViewProvider {
  constructor(
    private readonly _extensionUri: vscode.Uri,
    private readonly _notebooks: Notebooks,
    private readonly _open: (entry: EntryJSON, list: IListUpdate | null) => void
  ) {
    _notebooks.changed.event(cellEndedAt => void this.refresh(cellEndedAt));
  }

  resolveWebviewView(view: vscode.WebviewView): void {
    this._view = view;
    view.webview.options = { enableScripts: true, localResourceRoots: [this._extensionUri] };
    view.webview.html = webviewHtml(view.webview, this._extensionUri, 'list');
    view.webview.onDidReceiveMessage((message: WebviewMessage) => {
      if (message.type === 'ready' || message.type === 'refresh') {
        void this.refresh(null);
      } else if (message.type === 'open') {
        this._open(message.entry, this._last);
      }
    });
    view.onDidChangeVisibility(() => {
      if (view.visible) {
        void this.refresh(null);
      }
    });
    view.onDidDispose(() => {
      this._view = null;
    });
  }

  /** The last list the kernel sent (documents offer its graphs to compare with). */
  get last(): IListUpdate | null {
    return this._last;
  }

  /** Ask the kernel for its list again; `cellEndedAt` is when the cell that asks ended. */
  async refresh(cellEndedAt: number | null): Promise<void> {
    const ticket = ++this._asked;
    const update = await this._list(cellEndedAt);
    if (ticket !== this._asked) {
      return; // a newer refresh answers
    }
    this._last = update;
    await this._view?.webview.postMessage(update);
  }

  private async _list(cellEndedAt: number | null): Promise<IListUpdate> {
    const base = { type: 'list' as const, detail: '', message: null, cellEndedAt };
    const client = await this._notebooks
      .client()
      .catch(error => new KernelProblem('failed', String(error)));
    if (client instanceof KernelProblem) {
      return { ...base, status: 'failed', detail: client.message };
    }
    if (typeof client === 'string') {
      return { ...base, status: client };
    }
    try {
      return { ...base, status: 'ready', message: await client.request({ type: 'list' }) };
    } catch (error) {
      if (error instanceof KernelProblem) {
        return {
          ...base,
          status: error.kind,
          detail: error.kind === 'failed' ? error.message : ''
        };
      }
      return { ...base, status: 'failed', detail: String(error) };
    }
  }

  private _view: vscode.WebviewView | null = null;
  private _last: IListUpdate | null = null;
  private _asked = 0;
}
