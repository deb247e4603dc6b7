/**
 * The inline widget's model side: its synced traits read through guards
 * (`WidgetState` in messages.ts), and the requests it sends the kernel,
 * each at most once per model however many times the model is on screen.
 */
import { emptyBundle, IBundleJSON, isBundle, viewTitle } from './graphmodel';
import {
  isDevices,
  isMapOf,
  isOffers,
  isPending,
  isProfile,
  isRecord,
  isTimingRow
} from './guards';
import {
  DevicesJSON,
  LayoutMetaJSON,
  OffersJSON,
  PendingJSON,
  ProfileJSON,
  TimingRowJSON,
  WidgetRequest
} from './messages';
import { ITimingChoice } from './timingview';

/** The part of anywidget's model API this widget uses. */
export interface IWidgetModel {
  get(name: string): unknown;
  set(name: string, value: unknown): void;
  save_changes(): void;
  on(event: string, callback: () => void): void;
  off(event: string, callback: () => void): void;
  /** A custom message to the kernel's widget (anywidget's `model.send`). */
  send(content: WidgetRequest): void;
}

const isString = (value: unknown): value is string => typeof value === 'string';
const isStringList = (value: unknown): value is string[] =>
  Array.isArray(value) && value.every(isString);

/** What a bundle offers when the kernel sent no offers (only its own views). */
export function offersOf(bundle: IBundleJSON): OffersJSON {
  return {
    views: Object.keys(bundle.views).map(name => ({ name, title: viewTitle(name) })),
    rewrites: bundle.rewrites.length > 0,
    stepper: false,
    texts: [],
    timing: false,
    backend_label: 'backend',
    show_noise: false
  };
}

/** The traits, each checked as it is read; a malformed one reads as empty. */
export class Traits {
  constructor(private readonly _model: IWidgetModel) {}

  get bundle(): IBundleJSON {
    const value = this._model.get('bundle');
    return isBundle(value) ? value : emptyBundle();
  }

  get offers(): OffersJSON {
    const value = this._model.get('offers');
    return isOffers(value) ? value : offersOf(this.bundle);
  }

  get svg(): Record<string, string> {
    const value = this._model.get('svg');
    return isMapOf(value, isString) ? value : {};
  }

  get layouts(): Record<string, LayoutMetaJSON> {
    const value = this._model.get('layouts');
    return isMapOf(value, (v): v is LayoutMetaJSON => isRecord(v)) ? value : {};
  }

  get expanded(): Record<string, string[]> {
    const value = this._model.get('expanded');
    return isMapOf(value, isStringList) ? value : {};
  }

  get pending(): Record<string, PendingJSON> {
    const value = this._model.get('pending');
    return isMapOf(value, isPending) ? value : {};
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
    return isDevices(value) ? value : null;
  }

  get timings(): TimingRowJSON[] {
    const value = this._model.get('timings');
    return Array.isArray(value) ? value.filter(isTimingRow) : [];
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
    return isProfile(value) ? value : null;
  }

  get autorun(): boolean {
    return this._model.get('autorun') === true;
  }

  private _string(name: string): string {
    const value = this._model.get(name);
    return isString(value) ? value : '';
  }
}

/**
 * The requests one model has sent. Kept per model, so a second view of the
 * same output (a second notebook window, a re-render) asks nothing twice.
 */
export class Requests {
  constructor(private readonly _model: IWidgetModel) {}

  /** Ask for a pending view; false when it was asked for already. */
  view(view: string): boolean {
    if (this._views.has(view)) {
      return false;
    }
    this._views.add(view);
    this._model.send({ type: 'view', view });
    return true;
  }

  get devicesAsked(): boolean {
    return this._devices;
  }

  devices(): void {
    if (!this._devices) {
      this._devices = true;
      this._model.send({ type: 'devices' });
    }
  }

  /** Automatic timing is neither sent nor declined yet. */
  get automaticWaiting(): boolean {
    return !this._automaticSent && !this._declined;
  }

  /** Send the automatic timing request (once). */
  automatic(choice: ITimingChoice): boolean {
    if (!this.automaticWaiting) {
      return false;
    }
    this._automaticSent = true;
    this._model.send({ type: 'time', ...choice });
    return true;
  }

  /** The user declined the automatic timing. */
  decline(): void {
    this._declined = true;
  }

  time(choice: ITimingChoice): void {
    this._automaticSent = true; // a run by hand stands in for the automatic one
    this._model.send({ type: 'time', ...choice });
  }

  profile(choice: ITimingChoice): void {
    this._model.send({ type: 'profile', ...choice });
  }

  private _views = new Set<string>();
  private _devices = false;
  private _automaticSent = false;
  private _declined = false;
}

const requests = new WeakMap<IWidgetModel, Requests>();

export function requestsOf(model: IWidgetModel): Requests {
  let found = requests.get(model);
  if (!found) {
    found = new Requests(model);
    requests.set(model, found);
  }
  return found;
}
