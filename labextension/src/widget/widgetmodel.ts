/**
 * The inline widget's model side: its synced traits, each read through the
 * check generated from `WidgetState` (messages.ts), packed traits unpacked,
 * and the output's static copy hidden. Requests go through transport.ts.
 */
import { GraphBundleJSON } from '../common/graph';
import { emptyBundle } from '../common/graphmodel';
import { unpack } from '../common/packed';
import { offersOf } from '../common/session';
import { valuesOf } from '../common/valuesview';
import {
  isDevicesJSON,
  isGraphBundleJSON,
  isProfileJSON,
  isTimingRowJSON,
  isTraitExpanded,
  isTraitLayouts,
  isTraitOffers,
  isTraitPending,
  isTraitSvg
} from '../common/validators.generated';
import {
  DevicesJSON,
  LayoutMetaJSON,
  OffersJSON,
  PendingJSON,
  ProfileJSON,
  TimingRowJSON,
  ViewValuesJSON,
  WidgetRequest
} from '../common/messages';

/** The part of anywidget's model API this widget uses. */
export interface IWidgetModel {
  get(name: string): unknown;
  set(name: string, value: unknown): void;
  save_changes(): void;
  /** Trait changes (`change:NAME`) and, with their content, the kernel's `msg:custom`. */
  on(event: string, callback: (...args: unknown[]) => void): void;
  off(event: string, callback: (...args: unknown[]) => void): void;
  /** A custom message to the kernel's widget (anywidget's `model.send`). */
  send(content: WidgetRequest): void;
}

const isString = (value: unknown): value is string => typeof value === 'string';
const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** The traits, each checked as it is read; a malformed one reads as empty. */
export class Traits {
  constructor(private readonly _model: IWidgetModel) {}

  get bundle(): GraphBundleJSON {
    const value = this._model.get('bundle');
    return isGraphBundleJSON(value) ? value : emptyBundle();
  }

  get offers(): OffersJSON {
    const value = this._model.get('offers');
    return isTraitOffers(value) ? value : offersOf(this.bundle);
  }

  get svg(): Record<string, string> {
    const value = this._model.get('svg');
    return isTraitSvg(value) ? value : {};
  }

  get layouts(): Record<string, LayoutMetaJSON> {
    const value = this._model.get('layouts');
    return isTraitLayouts(value) ? value : {};
  }

  get expanded(): Record<string, string[]> {
    const value = this._model.get('expanded');
    return isTraitExpanded(value) ? value : {};
  }

  get pending(): Record<string, PendingJSON> {
    const value = this._model.get('pending');
    return isTraitPending(value) ? value : {};
  }

  get status(): string {
    return this._string('status');
  }

  get error(): string {
    return this._string('error');
  }

  /** Null until the kernel has looked for devices. */
  get devices(): DevicesJSON | null {
    const value = this._model.get('devices');
    return isDevicesJSON(value) ? value : null;
  }

  get timings(): TimingRowJSON[] {
    const value = this._model.get('timings');
    return Array.isArray(value) ? value.filter(isTimingRowJSON) : [];
  }

  get busy(): boolean {
    return this._model.get('busy') === true;
  }

  get timingError(): string {
    return this._string('timing_error');
  }

  /** Null until a profile ran. */
  get profile(): ProfileJSON | null {
    const value = this._model.get('profile');
    return isProfileJSON(value) ? value : null;
  }

  get autorun(): boolean {
    return this._model.get('autorun') === true;
  }

  /** View -> its values, each view checked. */
  get values(): Record<string, ViewValuesJSON> {
    return valuesOf(this._model.get('values'));
  }

  get staticId(): string {
    return this._string('static_id');
  }

  private _string(name: string): string {
    const value = this._model.get(name);
    return isString(value) ? value : '';
  }
}

// -- packed traits ----------------------------------------------------------------

const PACKED = ['bundle', 'svg'];

/** Whether a trait value came packed: a bundle as a string, an SVG not starting with `<`. */
function isPackedValue(name: string, value: unknown): boolean {
  if (name === 'bundle') {
    return typeof value === 'string';
  }
  return isObject(value) && Object.values(value).some(v => isString(v) && v !== '' && v[0] !== '<');
}

export function hasPacked(model: IWidgetModel): boolean {
  return PACKED.some(name => isPackedValue(name, model.get(name)));
}

/**
 * The model with `bundle` and `svg` unpacked. Unpacking is asynchronous, so
 * every change event is delivered in the order the kernel sent it, after
 * the values it may read have been unpacked.
 */
export class UnpackedModel implements IWidgetModel {
  constructor(private readonly _model: IWidgetModel) {}

  /** Unpack the current values; call once before drawing. */
  async ready(): Promise<void> {
    await this._refresh();
  }

  get(name: string): unknown {
    return this._unpacked.has(name) ? this._unpacked.get(name) : this._model.get(name);
  }

  set(name: string, value: unknown): void {
    this._model.set(name, value);
  }

  save_changes(): void {
    this._model.save_changes();
  }

  send(content: WidgetRequest): void {
    this._model.send(content);
  }

  on(event: string, callback: (...args: unknown[]) => void): void {
    if (event === 'msg:custom') {
      this._model.on(event, callback); // a message, not a packed trait
      return;
    }
    const wrapped = () => {
      this._queue = this._queue.then(() => this._refresh()).then(callback, callback);
    };
    this._wrapped.set(callback, wrapped);
    this._model.on(event, wrapped);
  }

  off(event: string, callback: (...args: unknown[]) => void): void {
    const wrapped = this._wrapped.get(callback) ?? callback;
    this._model.off(event, wrapped);
  }

  private async _refresh(): Promise<void> {
    for (const name of PACKED) {
      const raw = this._model.get(name);
      if (this._raw.get(name) === raw) {
        continue;
      }
      this._raw.set(name, raw);
      this._unpacked.set(name, await unpackTrait(name, raw));
    }
  }

  private _queue: Promise<void> = Promise.resolve();
  private _raw = new Map<string, unknown>();
  private _unpacked = new Map<string, unknown>();
  private _wrapped = new Map<(...args: unknown[]) => void, () => void>();
}

async function unpackTrait(name: string, raw: unknown): Promise<unknown> {
  try {
    if (name === 'bundle') {
      return typeof raw === 'string' ? JSON.parse(await unpack(raw)) : raw;
    }
    if (!isObject(raw)) {
      return {};
    }
    const out: Record<string, string> = {};
    for (const [view, svg] of Object.entries(raw)) {
      out[view] = isString(svg) && svg !== '' && svg[0] !== '<' ? await unpack(svg) : String(svg);
    }
    return out;
  } catch (error) {
    console.error(`tgraph: could not unpack ${name}`, error);
    return name === 'bundle' ? null : {};
  }
}

// -- the static copy --------------------------------------------------------------

const hidden = new Set<string>();

/**
 * Hide the output's static copy (the pictures saved for places without a
 * widget manager) now that the widget renders. A style rule covers copies
 * drawn later and pictures shown as `<img>` of a URL-encoded data URL
 * (JupyterLab); a scan covers base64 data URLs (nbconvert) and blob URLs
 * (VS Code).
 */
export function hideStatic(id: string, doc: Document = document): void {
  if (!/^tgs[0-9a-f]+$/.test(id) || hidden.has(id)) {
    return;
  }
  hidden.add(id);
  const marks = `[data-tg-static="${id}"], img[src*="${id}"]`;
  const style = doc.createElement('style');
  style.dataset.tgStatic = id;
  const boxes = `.jp-OutputArea-child:has([data-tg-static="${id}"]), .jp-OutputArea-child:has(img[src*="${id}"])`;
  style.textContent = `${marks}, ${boxes} { display: none !important; }`;
  doc.head.append(style);
  for (const img of Array.from(doc.querySelectorAll('img'))) {
    const src = img.getAttribute('src') ?? '';
    const hide = () => {
      (img.closest('.jp-OutputArea-child, .output_area') ?? img).setAttribute('hidden', '');
      (img as HTMLElement).style.display = 'none';
    };
    if (src.startsWith('data:image/svg+xml;base64,')) {
      try {
        if (atob(src.slice(src.indexOf(',') + 1)).includes(id)) {
          hide();
        }
      } catch {
        // not ours
      }
    } else if (src.startsWith('blob:')) {
      void fetch(src)
        .then(r => r.text())
        .then(t => (t.includes(id) ? hide() : undefined))
        .catch(() => undefined);
    }
  }
}
