/**
 * The JupyterLab plugin: a sidebar listing every graph the active notebook's
 * kernel traced, each opening at full size in the main area. The inline
 * widget does not need this extension (it is an anywidget).
 */
import { ILabShell, JupyterFrontEnd, JupyterFrontEndPlugin } from '@jupyterlab/application';
import { MainAreaWidget } from '@jupyterlab/apputils';
import { ICodeCellModel } from '@jupyterlab/cells';
import { INotebookTracker, NotebookPanel } from '@jupyterlab/notebook';
import { LabIcon } from '@jupyterlab/ui-components';

import { GraphDocument } from './graphdocument';
import { KernelLink } from './kernellink';
import { GraphListPanel } from './panel';
import { EntryJSON } from '../common/messages';
import { PanelModel } from './panelmodel';

const ICON_SVG =
  '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24"><g class="jp-icon3" fill="#616161">' +
  '<circle cx="5" cy="6" r="3"/><circle cx="19" cy="6" r="3"/><circle cx="12" cy="19" r="3"/>' +
  '<path d="M6.5 8.2l4.3 8.3 1.8-.9-4.3-8.3zM17.5 8.2l-4.3 8.3-1.8-.9 4.3-8.3z"/></g></svg>';

const graphIcon = new LabIcon({ name: 'jupyter-tgraph:graph', svgstr: ICON_SVG });

const plugin: JupyterFrontEndPlugin<void> = {
  id: 'jupyter-tgraph:plugin',
  description: 'A side panel with every graph the kernel traced with %%tgraph.',
  autoStart: true,
  requires: [INotebookTracker],
  // Notebook 7 has no ILabShell: no panel there, and no error either.
  optional: [ILabShell],
  activate: (app: JupyterFrontEnd, notebooks: INotebookTracker, labShell: ILabShell | null) => {
    if (!labShell) {
      return;
    }
    const model = new PanelModel();
    const link = new KernelLink(model);

    const follow = (panel: NotebookPanel | null) => {
      link.attach(panel?.sessionContext.session?.kernel ?? null);
    };
    const watched = new WeakSet<NotebookPanel>();
    notebooks.currentChanged.connect((_, panel) => {
      if (panel && !watched.has(panel)) {
        watched.add(panel);
        panel.sessionContext.kernelChanged.connect(() => {
          if (notebooks.currentWidget === panel) {
            follow(panel);
          }
        });
      }
      follow(panel);
    });

    /** Scroll the notebook to the cell that ran as ``[executionCount]``, at ``line``. */
    const jumpToCell = (panel: NotebookPanel | null, executionCount: number, line: number) => {
      if (!panel || panel.isDisposed) {
        return;
      }
      const notebook = panel.content;
      const index = notebook.widgets.findIndex(
        cell =>
          cell.model.type === 'code' &&
          (cell.model as ICodeCellModel).executionCount === executionCount
      );
      if (index < 0) {
        return;
      }
      labShell.activateById(panel.id);
      notebook.activeCellIndex = index;
      notebook.scrollToItem(index).catch(() => undefined);
      notebook.activeCell?.editor?.setCursorPosition({ line: line - 1, column: 0 });
    };

    const documents = new Map<string, MainAreaWidget<GraphDocument>>();
    const open = (entry: EntryJSON) => {
      const key = `${model.kernelId}-${entry.id}`;
      const existing = documents.get(key);
      if (existing && !existing.isDisposed) {
        labShell.activateById(existing.id);
        return;
      }
      const source = notebooks.currentWidget;
      const content = new GraphDocument(link, entry, (count, line) =>
        jumpToCell(source, count, line)
      );
      const widget = new MainAreaWidget({ content });
      widget.id = `tgraph-${key}`;
      widget.title.label = `${entry.name} · tgraph`;
      widget.title.icon = graphIcon;
      widget.title.closable = true;
      documents.set(key, widget);
      app.shell.add(widget, 'main', { mode: 'split-right' });
    };

    const panel = new GraphListPanel(model, open);
    panel.title.icon = graphIcon;
    labShell.add(panel, 'left', { rank: 600 });
    follow(notebooks.currentWidget);
  }
};

export default plugin;
