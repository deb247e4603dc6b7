/**
 * tgraph in VS Code: a side bar view listing every graph the active
 * notebook's kernel traced with %%tgraph, each opening at full size in an
 * editor tab. The inline widget needs none of this (it is an anywidget,
 * drawn by the Jupyter extension's widget manager).
 */
import * as vscode from 'vscode';

import { GraphListView, VIEW_ID } from './listview';
import { GraphPanels } from './graphpanel';
import { Notebooks } from './notebooks';

export function activate(context: vscode.ExtensionContext): void {
  const notebooks = new Notebooks();
  let list: GraphListView | null = null;
  const panels = new GraphPanels(context.extensionUri, notebooks, () => void list?.refresh(null));
  list = new GraphListView(
    context.extensionUri,
    notebooks,
    (entry, last) => void panels.open(entry, last)
  );
  context.subscriptions.push(
    notebooks,
    panels,
    vscode.window.registerWebviewViewProvider(VIEW_ID, list),
    vscode.commands.registerCommand('tgraph.refresh', () => list?.refresh(null))
  );
}

export function deactivate(): void {}
