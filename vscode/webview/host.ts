/**
 * The webview's end of the extension host: messages both ways, replies to
 * numbered requests, and a packed reply unpacked as the JupyterLab panel's
 * comm link does it.
 */
import { PanelMessage, PanelReply, PanelRequest } from '../../labextension/src/common/messages';
import { unpack } from '../../labextension/src/common/packed';
import type { HostMessage, WebviewMessage } from '../src/protocol';

interface IVsCodeApi {
  postMessage(message: WebviewMessage): void;
}

declare function acquireVsCodeApi(): IVsCodeApi;

const vscode = acquireVsCodeApi();

export function post(message: WebviewMessage): void {
  vscode.postMessage(message);
}

export function onHostMessage(handler: (message: HostMessage) => void): void {
  window.addEventListener('message', event => handler(event.data as HostMessage));
}

/** A reply as the kernel sent it, unpacked when it travelled packed. */
export async function readMessage(message: PanelMessage): Promise<PanelReply> {
  // The document checks each reply's fields as it takes them.
  return message.type === 'packed'
    ? (JSON.parse(await unpack(message.reply)) as PanelReply)
    : message;
}

interface IWaiting {
  resolve: (message: PanelMessage) => void;
  reject: (error: Error) => void;
}

const waiting = new Map<number, IWaiting>();
let nextId = 1;

onHostMessage(message => {
  if (message.type !== 'reply') {
    return;
  }
  const waiter = waiting.get(message.id);
  waiting.delete(message.id);
  if (!waiter) {
    return;
  }
  if (message.message) {
    waiter.resolve(message.message);
  } else {
    waiter.reject(new Error(message.error ?? 'no reply'));
  }
});

/** Ask the kernel (through the host); resolves with the reply, unpacked. */
export function ask(request: PanelRequest): Promise<PanelReply> {
  const id = nextId++;
  const sent = new Promise<PanelMessage>((resolve, reject) => {
    waiting.set(id, { resolve, reject });
  });
  post({ type: 'request', id, request });
  return sent.then(readMessage);
}
