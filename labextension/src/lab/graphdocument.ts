/**
 * One traced graph at full size in JupyterLab's main area: the common
 * full-size view (common/document.ts) in a Lumino widget, its sessions
 * reaching the kernel over the panel's comm.
 */
import { Widget } from '@lumino/widgets';

import { GraphDocumentView } from '../common/document';
import { EntryJSON } from '../common/messages';
import { PanelTransport } from '../common/paneltransport';
import { GraphSession } from '../common/session';
import { IKernelLink } from './kernellink';

export class GraphDocument extends Widget {
  constructor(
    link: IKernelLink,
    readonly entry: EntryJSON,
    goToCell: (executionCount: number, line: number) => void
  ) {
    const sessionFor = (id: string) => new GraphSession(new PanelTransport(link, id));
    const view = new GraphDocumentView({
      entry,
      session: sessionFor(entry.id),
      entries: () => link.model.entries,
      sessionFor,
      goToCell
    });
    super({ node: view.node });
    this._view = view;
  }

  /** Resolves once the first reply is drawn (or failed). */
  get loaded(): Promise<void> {
    return this._view.loaded;
  }

  /** The view on screen: a view name, 'steps' or 'compare'. */
  get mode(): string {
    return this._view.mode;
  }

  dispose(): void {
    if (!this.isDisposed) {
      this._view.dispose();
    }
    super.dispose();
  }

  private _view: GraphDocumentView;
}
