/**
 * The panel's end of the `tgraph` comm. The front end opens it; a kernel
 * without the extension closes it at once, which is how the panel learns to
 * say `%load_ext tgraph`. Only data requests are sent, never code.
 */
import { Kernel, KernelMessage } from '@jupyterlab/services';
import { ISignal } from '@lumino/signaling';

import { isPackedReply, isPanelReply } from '../common/validators.generated';
import { PanelReply, PanelRequest } from '../common/messages';
import { unpack } from '../common/packed';
import { IPanelLink, ReplyOf } from '../common/paneltransport';
import { PanelModel } from './panelmodel';

export const COMM_TARGET = 'tgraph';
/** How long an unanswered comm open waits before it is sent again. */
export const OPEN_RETRY_MS = 5000;

export type { ReplyOf } from '../common/paneltransport';

/** What the document needs of the link: asking (the panel's protocol), and the other graphs. */
export interface IKernelLink extends IPanelLink {
  readonly model: PanelModel;
}

/** The part of a comm the link uses (a `Kernel.IComm` is one). */
export interface ICommLike {
  onMsg: (msg: KernelMessage.ICommMsgMsg) => void | PromiseLike<void>;
  onClose: (msg: KernelMessage.ICommCloseMsg) => void | PromiseLike<void>;
  readonly isDisposed: boolean;
  open(data?: KernelMessage.ICommOpenMsg['content']['data']): unknown;
  send(data: KernelMessage.ICommMsgMsg['content']['data']): unknown;
  close(): unknown;
}

/** The part of a kernel connection the link uses (a `Kernel.IKernelConnection` is one). */
export interface IKernelLike {
  readonly id: string;
  readonly statusChanged: ISignal<IKernelLike, Kernel.Status>;
  readonly iopubMessage: ISignal<IKernelLike, KernelMessage.IIOPubMessage>;
  createComm(targetName: string): ICommLike;
}

function isReplyOf<T extends PanelReply['type']>(reply: PanelReply, type: T): reply is ReplyOf<T> {
  return reply.type === type;
}

interface IWaiting {
  type: string;
  id: string | undefined;
  resolve: (reply: PanelReply) => void;
}

export class KernelLink implements IKernelLink {
  constructor(readonly model: PanelModel) {}

  /** Follow another kernel (or none). */
  attach(kernel: IKernelLike | null): void {
    if (kernel === this._kernel) {
      return;
    }
    this._detach();
    this._kernel = kernel;
    this.model.setKernel(kernel?.id ?? null);
    if (kernel) {
      kernel.statusChanged.connect(this._onStatus, this);
      kernel.iopubMessage.connect(this._onIopub, this);
      this._open();
    }
  }

  dispose(): void {
    this._detach();
  }

  /** Ask the kernel for something; resolves with the first reply of that type. */
  request<T extends PanelReply['type']>(data: PanelRequest, replyType: T): Promise<ReplyOf<T>> {
    const comm = this._comm;
    if (!comm) {
      return Promise.reject(new Error('tgraph is not loaded in this kernel'));
    }
    return new Promise(resolve => {
      const id = 'id' in data ? data.id : undefined;
      this._waiting.push({
        type: replyType,
        id,
        resolve: reply => {
          if (isReplyOf(reply, replyType)) {
            resolve(reply);
          }
        }
      });
      comm.send({ ...data });
    });
  }

  private _open(): void {
    const kernel = this._kernel;
    if (!kernel || this._comm) {
      return;
    }
    const comm = kernel.createComm(COMM_TARGET);
    this._comm = comm;
    comm.onMsg = (msg: KernelMessage.ICommMsgMsg) => {
      this._answered();
      this._receive(comm, msg.content.data);
    };
    comm.onClose = () => {
      if (this._comm === comm) {
        this._answered();
        this._comm = null;
        this.model.notLoaded();
      }
    };
    const list: PanelRequest = { type: 'list' };
    comm.open({ ...list });
    // A kernel always answers an open, with the list or by closing the comm.
    // One just restarted behind a gateway can lose the open: ask again.
    this._answered();
    this._retry = setTimeout(() => {
      if (this._comm === comm) {
        this._comm = null;
        if (!comm.isDisposed) {
          comm.close();
        }
        this._open();
      }
    }, OPEN_RETRY_MS);
  }

  private _answered(): void {
    if (this._retry !== null) {
      clearTimeout(this._retry);
      this._retry = null;
    }
  }

  /**
   * Take one message of ``comm``, unpacking a packed reply first. Messages
   * are handled in the order they came (a plain one waits behind a packed one
   * still unpacking), and none once the link has left that comm.
   */
  private _receive(comm: ICommLike, data: unknown): void {
    if (!isPackedReply(data) && this._unpacking === 0) {
      this._onMessage(data);
      return;
    }
    const message = isPackedReply(data)
      ? unpack(data.reply).then(text => JSON.parse(text) as unknown)
      : Promise.resolve(data);
    message.catch(() => undefined); // reported below, in its turn
    this._unpacking++;
    this._inbox = this._inbox
      .then(() => message)
      .then(
        found => {
          if (this._comm === comm) {
            this._onMessage(found);
          }
        },
        error => console.warn('tgraph: could not unpack a kernel message', error)
      )
      .then(() => {
        this._unpacking--;
      });
  }

  private _onMessage(data: unknown): void {
    if (!isPanelReply(data)) {
      console.warn('tgraph: ignored a kernel message the panel does not define', data);
      return;
    }
    if (data.type === 'entries') {
      this.model.handle(data);
      return;
    }
    const reply = data;
    const index = this._waiting.findIndex(
      w => w.type === reply.type && (w.id === undefined || w.id === reply.id)
    );
    if (index >= 0) {
      this._waiting.splice(index, 1)[0].resolve(reply);
    } else {
      console.warn('tgraph: ignored a kernel message the panel does not define', data);
    }
  }

  private _onStatus(kernel: IKernelLike, status: Kernel.Status): void {
    if (status === 'restarting' || status === 'autorestarting') {
      this._answered();
      this._comm = null;
      this._waiting = [];
      this._executed = true; // reconnect once the new kernel is idle
      this.model.restarted();
    } else if (status === 'idle' && !this._comm && this._executed) {
      // The user may just have run %load_ext tgraph. Only after code ran:
      // opening a comm itself makes the kernel busy, then idle again.
      this._executed = false;
      this._open();
    }
  }

  private _onIopub(kernel: IKernelLike, msg: KernelMessage.IIOPubMessage): void {
    if (msg.header.msg_type === 'execute_input') {
      this._executed = true;
    }
  }

  private _detach(): void {
    this._answered();
    this._kernel?.statusChanged.disconnect(this._onStatus, this);
    this._kernel?.iopubMessage.disconnect(this._onIopub, this);
    if (this._comm && !this._comm.isDisposed) {
      this._comm.close();
    }
    this._comm = null;
    this._waiting = [];
    this._kernel = null;
  }

  private _kernel: IKernelLike | null = null;
  private _comm: ICommLike | null = null;
  private _executed = false;
  private _retry: ReturnType<typeof setTimeout> | null = null;
  private _waiting: IWaiting[] = [];
  /** Messages still in line behind a packed one, and the last of them. */
  private _unpacking = 0;
  private _inbox: Promise<void> = Promise.resolve();
}
