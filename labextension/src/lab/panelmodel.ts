/**
 * State of the side panel: which kernel it follows, whether tgraph is loaded
 * there, and the graphs that kernel has traced. No DOM and no kernel here, so
 * the rules (what clears the list, what a message may change) are testable.
 */
import { ISignal, Signal } from '@lumino/signaling';

import { isPanelReply } from '../common/validators.generated';
import { EntryJSON } from '../common/messages';

/** no-kernel: no notebook; connecting: asking the kernel; not-loaded: no %load_ext. */
export type PanelStatus = 'no-kernel' | 'connecting' | 'not-loaded' | 'ready';

export class PanelModel {
  get changed(): ISignal<this, void> {
    return this._changed;
  }

  get status(): PanelStatus {
    return this._status;
  }

  /** Newest first, as the kernel sends them; any framework a plug-in names. */
  get entries(): readonly EntryJSON[] {
    return this._entries;
  }

  /** How many older graphs the kernel let go to bound its memory. */
  get dropped(): number {
    return this._dropped;
  }

  get kernelId(): string | null {
    return this._kernelId;
  }

  /** The notebook's kernel changed (or the notebook closed: null). */
  setKernel(kernelId: string | null): void {
    if (kernelId === this._kernelId) {
      return;
    }
    this._kernelId = kernelId;
    this._clear();
    this._set(kernelId ? 'connecting' : 'no-kernel');
  }

  /** The kernel restarted: its graphs are gone until cells run again. */
  restarted(): void {
    this._clear();
    this._set(this._kernelId ? 'connecting' : 'no-kernel');
  }

  /** The kernel closed our comm at once: the extension is not loaded there. */
  notLoaded(): void {
    this._clear();
    this._set('not-loaded');
  }

  /**
   * Apply one kernel message. Only an `EntriesReply` is taken; anything
   * else leaves the state as it was and returns false.
   */
  handle(message: unknown): boolean {
    if (!isPanelReply(message) || message.type !== 'entries') {
      return false;
    }
    this._entries = message.entries;
    this._dropped = typeof message.dropped === 'number' ? message.dropped : 0;
    this._set('ready');
    return true;
  }

  private _clear(): void {
    this._entries = [];
    this._dropped = 0;
  }

  private _set(status: PanelStatus): void {
    this._status = status;
    this._changed.emit();
  }

  private _changed = new Signal<this, void>(this);
  private _status: PanelStatus = 'no-kernel';
  private _entries: EntryJSON[] = [];
  private _dropped = 0;
  private _kernelId: string | null = null;
}
