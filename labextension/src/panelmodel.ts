/**
 * State of the side panel: which kernel it follows, whether tgraph is loaded
 * there, and the graphs that kernel has traced. No DOM and no kernel here, so
 * the rules (what clears the list, what a message may change) are testable.
 */
import { ISignal, Signal } from '@lumino/signaling';

export interface ITimingSummary {
  device: string;
  backend?: string;
  median_s: number;
}

export interface IEntry {
  id: string;
  name: string;
  framework: 'pytensor' | 'jax';
  cell: number | null;
  nodes: Record<string, number>;
  timing: ITimingSummary | null;
}

/** no-kernel: no notebook; connecting: asking the kernel; not-loaded: no %load_ext. */
export type PanelStatus = 'no-kernel' | 'connecting' | 'not-loaded' | 'ready';

function isEntry(value: unknown): value is IEntry {
  const e = value as IEntry;
  return (
    typeof e === 'object' &&
    e !== null &&
    typeof e.id === 'string' &&
    typeof e.name === 'string' &&
    (e.framework === 'pytensor' || e.framework === 'jax') &&
    typeof e.nodes === 'object'
  );
}

export class PanelModel {
  get changed(): ISignal<this, void> {
    return this._changed;
  }

  get status(): PanelStatus {
    return this._status;
  }

  /** Newest first, as the kernel sends them. */
  get entries(): readonly IEntry[] {
    return this._entries;
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
    this._entries = [];
    this._set(kernelId ? 'connecting' : 'no-kernel');
  }

  /** The kernel restarted: its graphs are gone until cells run again. */
  restarted(): void {
    this._entries = [];
    this._set(this._kernelId ? 'connecting' : 'no-kernel');
  }

  /** The kernel closed our comm at once: the extension is not loaded there. */
  notLoaded(): void {
    this._entries = [];
    this._set('not-loaded');
  }

  /**
   * Apply one kernel message. Only the messages the panel defines are taken;
   * anything else leaves the state as it was and returns false.
   */
  handle(message: unknown): boolean {
    const data = message as { type?: unknown; entries?: unknown };
    if (typeof data !== 'object' || data === null || data.type !== 'entries') {
      return false;
    }
    if (!Array.isArray(data.entries) || !data.entries.every(isEntry)) {
      return false;
    }
    this._entries = data.entries;
    this._set('ready');
    return true;
  }

  private _set(status: PanelStatus): void {
    this._status = status;
    this._changed.emit();
  }

  private _changed = new Signal<this, void>(this);
  private _status: PanelStatus = 'no-kernel';
  private _entries: IEntry[] = [];
  private _kernelId: string | null = null;
}
