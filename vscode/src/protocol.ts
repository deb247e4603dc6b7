/**
 * What the extension host and its two webviews (the list in the side bar,
 * a graph at full size in an editor tab) say to each other. The webviews
 * hold the front end shared with JupyterLab; the host runs their requests
 * through the kernel client and does what only VS Code can (reveal a cell,
 * a save dialog).
 */
import { EntryJSON, PanelMessage, PanelRequest } from '../../labextension/src/common/messages';

/** Where the list stands; every state but `ready` says what the user should do. */
export type ListStatus =
  | 'no-jupyter'
  | 'no-notebook'
  | 'no-kernel'
  | 'not-installed'
  | 'not-loaded'
  | 'failed'
  | 'connecting'
  | 'ready';

/** Host -> list: the state, and the kernel's `entries` message once it has one. */
export interface IListUpdate {
  type: 'list';
  status: ListStatus;
  detail: string;
  message: PanelMessage | null;
  /** When the cell that made this update ended (epoch ms), for the bench. */
  cellEndedAt: number | null;
}

/** Host -> document: the answer to one of its requests. */
export interface IReply {
  type: 'reply';
  id: number;
  message?: PanelMessage;
  error?: string;
}

/** Host -> document: which graph to show, and the kernel's other graphs (to compare). */
export interface IShow {
  type: 'show';
  entry: EntryJSON;
  others: PanelMessage | null;
}

export type HostMessage = IListUpdate | IReply | IShow;

export type WebviewMessage =
  | { type: 'ready' }
  | { type: 'refresh' }
  | { type: 'open'; entry: EntryJSON }
  | { type: 'request'; id: number; request: PanelRequest }
  | { type: 'goToCell'; executionCount: number; line: number }
  | { type: 'save'; name: string; data: Uint8Array };
