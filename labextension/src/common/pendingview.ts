/**
 * A view the kernel has not built yet: what it is doing and for how long
 * ("rewriting… 3.2 s"), or that it waits for the cells queued before it.
 */
import { el, text } from './dom';
import { PendingJSON } from './messages';

/** ``now`` and ``started`` are epoch seconds; a clock ahead of ours reads 0. */
export function pendingText(pending: PendingJSON, now: number): string {
  if (pending.started === null) {
    return `${pending.task}: waiting for the kernel (cells run first)`;
  }
  const elapsed = Math.max(0, now - pending.started);
  return `${pending.task}… ${elapsed.toFixed(1)} s`;
}

export class PendingView {
  readonly element: HTMLDivElement;

  constructor(private _pending: PendingJSON) {
    this.element = el('div', 'tg-pending');
    this.element.setAttribute('role', 'status');
    this._text = text('p', 'tg-pending-text', '');
    this.element.append(this._text);
    this.update();
  }

  /** The kernel said more (it started, or started again). */
  setPending(pending: PendingJSON): void {
    this._pending = pending;
    this.update();
  }

  update(now = Date.now() / 1000): void {
    this._text.textContent = pendingText(this._pending, now);
  }

  private _text: HTMLParagraphElement;
}
