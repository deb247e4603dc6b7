/**
 * The timing panel: device toggle, backend, input size, Run, and a table of
 * results with a tiny plot of each row's per-call samples.
 *
 * Plain DOM with textContent only (kernel text never becomes markup), so it
 * runs in the anywidget module as well as the JupyterLab panel. The kernel
 * does the measuring (tgraph.timing); this only asks and shows. Nothing here
 * knows a framework: the backends and their GPU support come from the kernel.
 */
import { el, formatSeconds, text } from './dom';
import { DevicesJSON, TimingRowJSON } from './messages';
import { ITimingChoice } from './transport';

/** What the controls choose (declared with the transport, which sends it). */
export type { ITimingChoice } from './transport';

export interface ITimingViewOptions {
  onRun(choice: ITimingChoice): void;
  /**
   * The one stop control: declines the automatic timing while it waits to be
   * sent, stops the run once it is queued or running.
   */
  onStop?(): void;
}

const COLUMNS = [
  'device',
  'backend',
  'compile',
  'first call',
  'median ± IQR',
  'calls',
  'speed-up',
  'per call'
];
const PLOT_WIDTH = 80;
const PLOT_HEIGHT = 14;
const SVG_NS = 'http://www.w3.org/2000/svg';

/** Each row's speed-up against the first row's median (first row: 1). */
export function speedups(rows: TimingRowJSON[]): (number | null)[] {
  const base = rows[0]?.median_s ?? null;
  return rows.map(row => (base !== null && row.median_s ? base / row.median_s : null));
}

/** The `gpu`/`cpu` toggle name of a device: `cpu:0` -> `cpu`, `cpu:1` stays. */
export function toggleName(device: string): string {
  return device.replace(/:0$/, '');
}

/** One dot per sample on a shared axis, and a tick at the median. */
export function samplePlot(samples: number[], median: number | null): SVGSVGElement {
  const svg = document.createElementNS(SVG_NS, 'svg');
  svg.setAttribute('class', 'tg-timing-plot');
  svg.setAttribute('width', String(PLOT_WIDTH));
  svg.setAttribute('height', String(PLOT_HEIGHT));
  svg.setAttribute('viewBox', `0 0 ${PLOT_WIDTH} ${PLOT_HEIGHT}`);
  if (!samples.length) {
    return svg;
  }
  const low = Math.min(...samples);
  const high = Math.max(...samples);
  const x = (v: number): number =>
    high > low ? 3 + ((v - low) / (high - low)) * (PLOT_WIDTH - 6) : PLOT_WIDTH / 2;
  const title = document.createElementNS(SVG_NS, 'title');
  title.textContent = `${samples.length} samples, ${formatSeconds(low)} to ${formatSeconds(high)}`;
  svg.appendChild(title);
  for (const value of samples) {
    const dot = document.createElementNS(SVG_NS, 'circle');
    dot.setAttribute('cx', x(value).toFixed(1));
    dot.setAttribute('cy', String(PLOT_HEIGHT / 2));
    dot.setAttribute('r', '2');
    svg.appendChild(dot);
  }
  if (median !== null) {
    const tick = document.createElementNS(SVG_NS, 'line');
    tick.setAttribute('class', 'tg-timing-median');
    tick.setAttribute('x1', x(median).toFixed(1));
    tick.setAttribute('x2', x(median).toFixed(1));
    tick.setAttribute('y1', '1');
    tick.setAttribute('y2', String(PLOT_HEIGHT - 1));
    svg.appendChild(tick);
  }
  return svg;
}

export class TimingView {
  readonly node: HTMLDivElement;

  constructor(
    host: HTMLElement,
    private readonly _options: ITimingViewOptions
  ) {
    this.node = el('div', 'tg-timing');
    const controls = el('div', 'tg-timing-controls');
    this._devicesBar = el('div', 'tg-timing-devices');
    this._devicesBar.setAttribute('role', 'group');
    this._devicesBar.setAttribute('aria-label', 'device');
    this._looking = text('span', 'tg-timing-looking', '');

    this._backendLabel = el('label', 'tg-timing-backend');
    this._backendName = text('span', '', 'backend ');
    this._backendSelect = el('select', 'tg-backend');
    this._backendSelect.appendChild(new Option('auto', ''));
    this._backendLabel.append(this._backendName, this._backendSelect);
    this._backendLabel.hidden = true;

    const sizeLabel = text('label', 'tg-timing-size', 'size ');
    this._sizeInput = el('input', 'tg-size');
    this._sizeInput.type = 'number';
    this._sizeInput.min = '1';
    this._sizeInput.placeholder = '100';
    this._sizeInput.title = 'size of unknown dimensions of made-up inputs';
    sizeLabel.appendChild(this._sizeInput);

    this._runButton = text('button', 'tg-run', 'Run');
    this._runButton.type = 'button';
    this._runButton.addEventListener('click', () => this._run());
    this._stopButton = text('button', 'tg-timing-stop', 'Don’t time');
    this._stopButton.type = 'button';
    this._stopButton.title = 'Do not time this graph by itself; Run still does';
    this._stopButton.hidden = true;
    this._stopButton.addEventListener('click', () => this._options.onStop?.());

    controls.append(
      this._devicesBar,
      this._looking,
      this._backendLabel,
      sizeLabel,
      this._runButton,
      this._stopButton
    );

    const table = el('table', 'tg-timing-table');
    this._head = table.createTHead().insertRow();
    for (const name of COLUMNS) {
      this._head.appendChild(text('th', '', name));
    }
    this._body = table.createTBody();
    this._running = el('tr', 'tg-timing-running');
    this._runningCell = el('td');
    this._runningCell.colSpan = COLUMNS.length;
    this._running.append(this._runningCell);
    this._status = el('div', 'tg-timing-status');
    this._status.setAttribute('aria-live', 'polite');
    this._signature = el('div', 'tg-timing-signature');
    this._message = el('div', 'tg-timing-message');
    this._message.setAttribute('role', 'alert');
    this._message.hidden = true;
    this.node.append(controls, this._message, table, this._signature, this._status);
    this.setDevices(null);
    host.appendChild(this.node);
  }

  /** What the controls choose now. */
  choice(): ITimingChoice {
    const size = parseInt(this._sizeInput.value, 10);
    return {
      device: this._device,
      backend: this._backendSelect.value || null,
      size: size > 0 ? size : null
    };
  }

  /** The words for the backend column and select ("backend", "XLA"...). */
  setBackendLabel(label: string): void {
    this._backendName.textContent = `${label} `;
    this._head.cells[1].textContent = label;
  }

  /**
   * The devices the kernel found; null while it has not said. ``waiting``
   * says why (looking, or not asked yet) and the toggle stays disabled.
   */
  setDevices(info: DevicesJSON | null, waiting = 'looking for devices…'): void {
    this._devices = info;
    this._looking.textContent = info ? '' : waiting;
    this._looking.hidden = Boolean(info);
    const names = (info?.devices ?? []).map(d => toggleName(d.name));
    if (!names.includes('cpu')) {
      names.unshift('cpu');
    }
    if (!names.includes('gpu')) {
      names.push('gpu');
    }
    this._devicesBar.replaceChildren(...names.map(name => this._deviceButton(name, info, waiting)));
    this._showBackends(info);
    // until the user picks one, the kernel's default (JAX's GPU, the line's --device) shows
    const shown = this._device || toggleName(info?.default ?? 'cpu');
    this._select(names.includes(shown) ? shown : 'cpu', this._device !== '');
  }

  /** The toggle of one device: disabled, with why, until the kernel has found it. */
  private _deviceButton(name: string, info: DevicesJSON | null, waiting: string): HTMLElement {
    const known = info?.devices.find(d => toggleName(d.name) === name);
    const b = text('button', 'tg-device', name.toUpperCase());
    b.type = 'button';
    b.dataset.device = name;
    b.disabled = !info || (!known && name === 'gpu');
    b.title = !info
      ? waiting
      : !known && name === 'gpu'
        ? `no GPU: ${info.gpu.reason}`
        : known?.description || name;
    b.addEventListener('click', () => this._select(name));
    return b;
  }

  /** The backends the kernel offers, keeping the one chosen. */
  private _showBackends(info: DevicesJSON | null): void {
    const select = this._backendSelect;
    const chosen = select.value;
    select.replaceChildren(new Option('auto', ''));
    for (const backend of info?.backends ?? []) {
      const option = new Option(backend.name, backend.name);
      option.disabled = !backend.available;
      option.title = backend.reason;
      select.appendChild(option);
    }
    select.value = chosen;
    this._backendLabel.hidden = !info?.backends.length;
  }

  /** Automatic timing is waiting to be sent: offer to stop it. */
  setAutomatic(waiting: boolean): void {
    this._waiting = waiting;
    this._syncStop();
  }

  /** "Don’t time" before the automatic run is sent, "Stop" while a run is on. */
  private _syncStop(): void {
    const button = this._stopButton;
    button.hidden = !this._waiting && !this._busy;
    if (this._busy) {
      button.textContent = 'Stop';
      button.title = 'Stop this run: the row keeps what was measured so far';
    } else {
      button.textContent = 'Don’t time';
      button.title = 'Do not time this graph by itself; Run still does';
    }
  }

  setBusy(busy: boolean): void {
    if (busy && !this._busy) {
      this._busySince = Date.now();
      this._ticker = setInterval(() => this._tick(), 100);
      this._body.appendChild(this._running);
    } else if (!busy && this._busy) {
      this._stopTicker();
      this._running.remove();
    }
    this._busy = busy;
    this._syncStop();
    this._tick();
    this._runButton.disabled = busy;
    this._runButton.textContent = busy ? 'Running…' : 'Run';
    this.node.setAttribute('aria-busy', String(busy));
  }

  setRows(rows: TimingRowJSON[]): void {
    const gains = speedups(rows);
    this._body.replaceChildren(...rows.map((row, i) => this._rowNode(row, gains[i])));
    if (this._busy) {
      this._body.appendChild(this._running);
    }
    const last = rows[rows.length - 1];
    this._status.textContent = last ? this._statusText(last) : '';
    this._signature.textContent = last?.signature ? `inputs: ${last.signature}` : '';
  }

  /** Why the last request could not run (e.g. no GPU); "" hides it. */
  setMessage(message: string): void {
    this._message.textContent = message;
    this._message.hidden = !message;
  }

  dispose(): void {
    this._stopTicker();
    this.node.remove();
  }

  /**
   * Show ``device`` as the one that runs; ``chosen``: the user picked it, so
   * requests name it (else they name none and the kernel takes its default).
   * Backends that cannot drive a GPU hide off the host.
   */
  private _select(device: string, chosen = true): void {
    this._device = chosen ? device : '';
    this._press(device);
    const kind = this._devices?.devices.find(d => toggleName(d.name) === device)?.kind ?? 'cpu';
    const hostOnly = new Set((this._devices?.backends ?? []).filter(b => !b.gpu).map(b => b.name));
    for (const option of Array.from(this._backendSelect.options)) {
      option.hidden = kind !== 'cpu' && hostOnly.has(option.value);
    }
    if (kind !== 'cpu' && hostOnly.has(this._backendSelect.value)) {
      this._backendSelect.value = '';
    }
  }

  /** Show ``device``'s toggle pressed and the others not. */
  private _press(device: string): void {
    for (const b of Array.from(
      this._devicesBar.querySelectorAll<HTMLButtonElement>('.tg-device')
    )) {
      const on = b.dataset.device === device;
      b.classList.toggle('tg-selected', on);
      b.setAttribute('aria-pressed', String(on));
    }
  }

  private _tick(): void {
    const seconds = Math.max(0, (Date.now() - this._busySince) / 1000);
    this._runningCell.textContent = `timing… ${seconds.toFixed(1)} s`;
  }

  private _stopTicker(): void {
    if (this._ticker !== null) {
      clearInterval(this._ticker);
      this._ticker = null;
    }
  }

  private _run(): void {
    if (!this._busy) {
      this._options.onRun(this.choice());
    }
  }

  private _rowNode(row: TimingRowJSON, gain: number | null): HTMLTableRowElement {
    const tr = el('tr', row.error ? 'tg-timing-error' : '');
    tr.dataset.device = row.device;
    const cell = (content: string, title = ''): HTMLTableCellElement => {
      const td = text('td', '', content);
      if (title) {
        td.title = title;
      }
      tr.appendChild(td);
      return td;
    };
    cell(row.device, row.signature ? `inputs: ${row.signature}` : '');
    cell(row.backend);
    if (row.error) {
      cell(row.error).colSpan = COLUMNS.length - 2;
      return tr;
    }
    cell(formatSeconds(row.compile_s));
    cell(
      formatSeconds(row.first_call_s),
      row.transfer_s ? `inputs to the device: ${formatSeconds(row.transfer_s)}` : ''
    );
    const iqr = row.iqr_s === null ? '' : ` ± ${formatSeconds(row.iqr_s)}`;
    cell(row.median_s === null ? '—' : formatSeconds(row.median_s) + iqr);
    const flag = row.interrupted ? ' (stopped)' : row.budget_exhausted ? ' (budget)' : '';
    cell(`${row.calls}${flag}`);
    cell(gain === null ? '—' : `${gain >= 10 ? gain.toFixed(0) : gain.toFixed(2)}×`);
    cell('').appendChild(samplePlot(row.samples, row.median_s));
    return tr;
  }

  private _statusText(row: TimingRowJSON): string {
    const parts = [...row.notes];
    if (row.interrupted) {
      parts.unshift('stopped early: showing what was measured');
    } else if (row.budget_exhausted) {
      parts.unshift('the time budget ran out before all repeats');
    }
    return parts.join('; ');
  }

  private readonly _devicesBar: HTMLDivElement;
  private readonly _looking: HTMLSpanElement;
  private readonly _backendLabel: HTMLLabelElement;
  private readonly _backendName: HTMLSpanElement;
  private readonly _backendSelect: HTMLSelectElement;
  private readonly _sizeInput: HTMLInputElement;
  private readonly _runButton: HTMLButtonElement;
  private readonly _stopButton: HTMLButtonElement;
  private readonly _head: HTMLTableRowElement;
  private readonly _body: HTMLTableSectionElement;
  private readonly _running: HTMLTableRowElement;
  private readonly _runningCell: HTMLTableCellElement;
  private readonly _status: HTMLDivElement;
  private readonly _signature: HTMLDivElement;
  private readonly _message: HTMLDivElement;
  private _devices: DevicesJSON | null = null;
  /** The device the user picked; '' until then (the kernel's default runs). */
  private _device = '';
  private _busy = false;
  private _waiting = false;
  private _busySince = 0;
  private _ticker: ReturnType<typeof setInterval> | null = null;
}
