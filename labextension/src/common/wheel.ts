/**
 * When the wheel zooms a graph view. In a notebook the wheel scrolls the
 * page, as over any output; it zooms with Ctrl/Cmd (a trackpad's pinch
 * sends Ctrl too), or once the user has clicked into the graph, until the
 * pointer leaves it or Esc, as embedded maps do. A full-size view, with no
 * page to scroll, zooms at once. The first wheel over a graph on a page
 * says so in a one-line hint.
 */
import { text } from './dom';

const HINT_MS = 4000;
const MAC = typeof navigator !== 'undefined' && /Mac|iPhone|iPad/.test(navigator.platform);
export const WHEEL_HINT = `${MAC ? '⌘' : 'Ctrl'} + wheel zooms the graph (or click it first)`;

/** Pages that have shown the hint: once is enough. */
const hinted = new WeakSet<Document>();

export class WheelPolicy {
  /** The hint, hidden until the first wheel over a graph that scrolls the page. */
  readonly hint = text('span', 'tg-wheel-hint', WHEEL_HINT);
  /** Clicked into: the wheel zooms until the pointer leaves or Esc. */
  engaged = false;

  constructor(private readonly _always: boolean) {
    this.hint.setAttribute('role', 'status');
    this.hint.hidden = true;
  }

  /** Whether the wheel zooms now, without a modifier. */
  get zooms(): boolean {
    return this.engaged || this._always;
  }

  /** Whether the view takes this wheel event to zoom (else the page scrolls, and the hint shows). */
  takes(e: WheelEvent): boolean {
    if (e.ctrlKey || e.metaKey || this.zooms) {
      return true;
    }
    this._showHint(this.hint.ownerDocument);
    return false;
  }

  dispose(): void {
    if (this._timer !== null) {
      clearTimeout(this._timer);
    }
  }

  private _showHint(doc: Document): void {
    if (hinted.has(doc)) {
      return;
    }
    hinted.add(doc);
    this.hint.hidden = false;
    this._timer = setTimeout(() => {
      this.hint.hidden = true;
      this._timer = null;
    }, HINT_MS);
  }

  private _timer: ReturnType<typeof setTimeout> | null = null;
}
