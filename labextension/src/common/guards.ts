/**
 * Type guards for data that arrives from the kernel: it is `unknown` until
 * one of these has looked at it (the bundle: `isBundle` in graphmodel.ts).
 */
import {
  DevicesJSON,
  EntryJSON,
  OffersJSON,
  PackedReply,
  PanelReply,
  PendingJSON,
  ProfileJSON,
  SourceReply,
  TimingRowJSON,
  ViewValuesJSON
} from './messages';

export function isRecord(value: unknown): value is { [key: string]: unknown } {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const isString = (value: unknown): value is string => typeof value === 'string';
const isStringList = (value: unknown): value is string[] =>
  Array.isArray(value) && value.every(isString);
const isNumberOrNull = (value: unknown): boolean => value === null || typeof value === 'number';

export function isOffers(value: unknown): value is OffersJSON {
  return (
    isRecord(value) &&
    Array.isArray(value.views) &&
    value.views.every(v => isRecord(v) && isString(v.name) && isString(v.title)) &&
    Array.isArray(value.texts) &&
    value.texts.every(t => isRecord(t) && isString(t.key) && isString(t.title)) &&
    typeof value.rewrites === 'boolean' &&
    typeof value.stepper === 'boolean' &&
    typeof value.timing === 'boolean' &&
    isString(value.backend_label) &&
    typeof value.show_noise === 'boolean'
  );
}

export function isPending(value: unknown): value is PendingJSON {
  return isRecord(value) && isString(value.task) && isNumberOrNull(value.started);
}

/** A view name -> T map whose every value passes ``check``. */
export function isMapOf<T>(
  value: unknown,
  check: (item: unknown) => item is T
): value is { [key: string]: T } {
  return isRecord(value) && Object.values(value).every(check);
}

export function isDevices(value: unknown): value is DevicesJSON {
  return (
    isRecord(value) &&
    Array.isArray(value.devices) &&
    value.devices.every(d => isRecord(d) && isString(d.name) && isString(d.kind)) &&
    isRecord(value.gpu) &&
    Array.isArray(value.backends) &&
    value.backends.every(b => isRecord(b) && isString(b.name))
  );
}

export function isTimingRow(value: unknown): value is TimingRowJSON {
  return (
    isRecord(value) &&
    isString(value.device) &&
    isString(value.backend) &&
    Array.isArray(value.samples) &&
    isNumberOrNull(value.median_s)
  );
}

export function isProfile(value: unknown): value is ProfileJSON {
  return (
    isRecord(value) &&
    isString(value.view) &&
    Array.isArray(value.top) &&
    isMapOf(value.colours, (c): c is number => typeof c === 'number')
  );
}

export function isEntry(value: unknown): value is EntryJSON {
  return (
    isRecord(value) &&
    isString(value.id) &&
    isString(value.name) &&
    isString(value.framework) &&
    isRecord(value.nodes) &&
    (value.cell === null || typeof value.cell === 'number') &&
    isStringList(value.pending)
  );
}

export function isViewValues(value: unknown): value is ViewValuesJSON {
  return (
    isRecord(value) &&
    isString(value.view) &&
    isString(value.inputs) &&
    isRecord(value.nodes) &&
    Array.isArray(value.differences) &&
    Array.isArray(value.notes) &&
    isString(value.error)
  );
}

/** A rewrite's source, from the widget or (with an `id`) the panel's comm. */
export function isSourceReply(value: unknown): value is SourceReply {
  return (
    isRecord(value) &&
    value.type === 'source' &&
    isString(value.name) &&
    isString(value.module) &&
    typeof value.line === 'number' &&
    isString(value.source) &&
    (value.error === undefined || isString(value.error))
  );
}

/** A message of the panel's comm, by its type; anything else is not one. */
export function isPanelReply(value: unknown): value is PanelReply {
  if (!isRecord(value)) {
    return false;
  }
  switch (value.type) {
    case 'entries':
      return Array.isArray(value.entries) && value.entries.every(isEntry);
    case 'graph':
      return (
        isString(value.id) &&
        isRecord(value.bundle) &&
        isOffers(value.offers) &&
        isRecord(value.layouts) &&
        isMapOf(value.pending, isPending) &&
        isMapOf(value.steps, (n): n is number => typeof n === 'number')
      );
    case 'steps':
      return (
        isString(value.id) &&
        isString(value.view) &&
        (value.start === null || isRecord(value.start)) &&
        isMapOf(value.snapshots, isRecord)
      );
    case 'layout':
      return isString(value.id) && isString(value.view);
    case 'dot':
      return isString(value.id) && isString(value.dot);
    case 'source':
      return isString(value.id) && isSourceReply(value);
    case 'values':
      return isString(value.id) && isString(value.view) && isViewValues(value.values);
    default:
      return false;
  }
}

/** A big panel reply as it travels: base64 of gzip, to unpack and check again. */
export function isPackedReply(value: unknown): value is PackedReply {
  return isRecord(value) && value.type === 'packed' && isString(value.reply);
}
