/**
 * Which notebook the panel follows and how its kernel is reached: the
 * active notebook editor (or the last one, while a graph tab has the focus),
 * its kernel from the Jupyter extension's API, and the end of each cell run,
 * after which the list is asked for again.
 */
import * as vscode from 'vscode';
import type { Jupyter, Kernel } from '@vscode/jupyter-extension';

import { IJupyterKernel, KernelClient } from './kernelclient';

export const JUPYTER_EXTENSION = 'ms-toolsai.jupyter';

/** The API's `Kernel` is the client's `IJupyterKernel`: checked here, where both are known. */
const asClientKernel = (kernel: Kernel): IJupyterKernel => kernel;

/** No Jupyter extension, no notebook, or a notebook whose kernel has not started. */
export type Missing = 'no-jupyter' | 'no-notebook' | 'no-kernel';

export class Notebooks implements vscode.Disposable {
  /** Fires after a cell of the followed notebook ran (with when it ended), or it changed. */
  readonly changed = new vscode.EventEmitter<number | null>();

  constructor() {
    this._notebook = vscode.window.activeNotebookEditor?.notebook ?? null;
    this._disposables.push(
      this.changed,
      vscode.window.onDidChangeActiveNotebookEditor(editor => {
        if (editor && editor.notebook !== this._notebook) {
          this._notebook = editor.notebook;
          this.changed.fire(null);
        }
      }),
      vscode.workspace.onDidCloseNotebookDocument(notebook => {
        if (notebook === this._notebook) {
          this._notebook = vscode.window.activeNotebookEditor?.notebook ?? null;
          this.changed.fire(null);
        }
      }),
      vscode.workspace.onDidChangeNotebookDocument(event => {
        if (event.notebook !== this._notebook) {
          return;
        }
        const ended = event.cellChanges
          .map(change => change.executionSummary?.timing?.endTime)
          .filter((end): end is number => typeof end === 'number');
        if (ended.length) {
          this.changed.fire(Math.max(...ended));
        }
      })
    );
  }

  get notebook(): vscode.NotebookDocument | null {
    return this._notebook;
  }

  /** The followed notebook's kernel client, or what is missing. */
  async client(): Promise<KernelClient | Missing> {
    const extension = vscode.extensions.getExtension<Jupyter>(JUPYTER_EXTENSION);
    if (!extension) {
      return 'no-jupyter';
    }
    const notebook = this._notebook;
    if (!notebook) {
      return 'no-notebook';
    }
    const api = extension.isActive ? extension.exports : await extension.activate();
    const kernel = await api.kernels.getKernel(notebook.uri);
    if (!kernel) {
      return 'no-kernel';
    }
    let client = this._clients.get(kernel);
    if (!client) {
      client = new KernelClient(
        asClientKernel(kernel),
        () => new vscode.CancellationTokenSource().token
      );
      this._clients.set(kernel, client);
    }
    return client;
  }

  /** Show the cell that ran as `[executionCount]` of the followed notebook, at `line`. */
  async reveal(executionCount: number, line: number): Promise<boolean> {
    const notebook = this._notebook;
    const cell = notebook
      ?.getCells()
      .find(
        c =>
          c.kind === vscode.NotebookCellKind.Code &&
          c.executionSummary?.executionOrder === executionCount
      );
    if (!notebook || !cell) {
      return false;
    }
    const range = new vscode.NotebookRange(cell.index, cell.index + 1);
    const editor = await vscode.window.showNotebookDocument(notebook, {
      viewColumn: vscode.ViewColumn.One,
      selections: [range]
    });
    editor.revealRange(range, vscode.NotebookEditorRevealType.InCenterIfOutsideViewport);
    const position = new vscode.Position(Math.max(0, line - 1), 0);
    await vscode.window.showTextDocument(cell.document, {
      viewColumn: editor.viewColumn,
      selection: new vscode.Range(position, position)
    });
    return true;
  }

  dispose(): void {
    this._disposables.forEach(d => d.dispose());
  }

  private _notebook: vscode.NotebookDocument | null;
  private readonly _clients = new WeakMap<Kernel, KernelClient>();
  private readonly _disposables: vscode.Disposable[] = [];
}
