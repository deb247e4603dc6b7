/**
 * The timing panel: device toggle, PyTensor backend, input size, Run, and a
 * table of results with a tiny plot of each row's per-call samples.
 *
 * Plain DOM with textContent only (kernel text never becomes markup), so it
 * runs in the anywidget module as well as the JupyterLab panel. The kernel
 * does the measuring (tgraph.timing); this only asks and shows.
 */

export interface DeviceInfo {
  name: string;
  kind: string;
  description?: string;
}

export interface BackendInfo {
  name: string;
  available: boolean;
  reason?: string;
  gpu?: boolean;
}

/** `Devices.to_json()` from the kernel. */
export interface DevicesInfo {
  devices: DeviceInfo[];
  gpu: { available: boolean; reason: string };
  backends: BackendInfo[];
}

/** `TimingResult.row()` from the kernel; seconds throughout. */
export interface TimingRow {
  device: string;
  backend: string;
  compile_s: number | null;
  first_call_s: number | null;
  median_s: number | null;
  iqr_s: number | null;
  min_s?: number | null;
  calls: number;
  transfer_s?: number | null;
  signature?: string;
  samples: number[];
  interrupted?: boolean;
  budget_exhausted?: boolean;
  error?: string | null;
  notes?: string[];
}

export interface TimingRequest {
  /** `cpu`, `gpu`, or `cpu:1`-style names for further devices. */
  device: string;
  /** PyTensor backend, or null to let the kernel choose. */
  backend: string | null;
  /** Size of unknown dimensions of made-up inputs, or null for the default. */
  size: number | null;
}

export interface TimingViewOptions {
  onRun(request: TimingRequest): void;
  /** Show the backend select (PyTensor targets only). */
  backends?: boolean;
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

/** `12.3 µs`, `4.56 ms`, `1.23 s`; a dash when there is no number. */
export function formatSeconds(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined || !isFinite(seconds)) {
    return '—';
  }
  const units: [number, string][] = [
    [1, 's'],
    [1e-3, 'ms'],
    [1e-6, 'µs'],
    [1e-9, 'ns']
  ];
  const [scale, unit] = units.find(([s]) => Math.abs(seconds) >= s) ?? [1e-9, 'ns'];
  const value = seconds / scale;
  const digits = value >= 100 ? 0 : value >= 10 ? 1 : 2;
  return `${value.toFixed(digits)} ${unit}`;
}

/** Each row's speed-up against the first row's median (first row: 1). */
export function speedups(rows: TimingRow[]): (number | null)[] {
  const base = rows[0]?.median_s ?? null;
  return rows.map(row => (base !== null && row.median_s ? base / row.median_s : null));
}

/** The `gpu`/`cpu` toggle name of a device: `cpu:0` -> `cpu`, `cpu:1` stays. */
export function toggleName(device: string): string {
  return device.replace(/:0$/, '');
}

function element<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  className: string,
  content = ''
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  node.className = className;
  node.textContent = content;
  return node;
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
  private readonly devicesBar: HTMLDivElement;
  private readonly backendSelect: HTMLSelectElement;
  private readonly sizeInput: HTMLInputElement;
  private readonly runButton: HTMLButtonElement;
  private readonly body: HTMLTableSectionElement;
  private readonly status: HTMLDivElement;
  private readonly signature: HTMLDivElement;
  private readonly message: HTMLDivElement;
  private device = 'cpu';
  private busy = false;

  constructor(
    host: HTMLElement,
    private readonly options: TimingViewOptions
  ) {
    this.node = element('div', 'tg-timing');
    const controls = element('div', 'tg-timing-controls');
    this.devicesBar = element('div', 'tg-timing-devices');
    this.devicesBar.setAttribute('role', 'group');
    this.devicesBar.setAttribute('aria-label', 'device');

    const backendLabel = element('label', 'tg-timing-backend', 'backend ');
    this.backendSelect = element('select', 'tg-backend');
    this.backendSelect.appendChild(new Option('auto', ''));
    backendLabel.appendChild(this.backendSelect);
    backendLabel.hidden = !options.backends;

    const sizeLabel = element('label', 'tg-timing-size', 'size ');
    this.sizeInput = element('input', 'tg-size');
    this.sizeInput.type = 'number';
    this.sizeInput.min = '1';
    this.sizeInput.placeholder = '100';
    this.sizeInput.title = 'size of unknown dimensions of made-up inputs';
    sizeLabel.appendChild(this.sizeInput);
    sizeLabel.hidden = !options.backends;

    this.runButton = element('button', 'tg-run', 'Run');
    this.runButton.type = 'button';
    this.runButton.addEventListener('click', () => this.run());

    controls.append(this.devicesBar, backendLabel, sizeLabel, this.runButton);

    const table = element('table', 'tg-timing-table');
    const head = table.createTHead().insertRow();
    for (const name of COLUMNS) {
      head.appendChild(element('th', '', name));
    }
    this.body = table.createTBody();
    this.status = element('div', 'tg-timing-status');
    this.status.setAttribute('aria-live', 'polite');
    this.signature = element('div', 'tg-timing-signature');
    this.message = element('div', 'tg-timing-message');
    this.message.setAttribute('role', 'alert');
    this.message.hidden = true;
    this.node.append(controls, this.message, table, this.signature, this.status);
    this.setDevices({
      devices: [{ name: 'cpu:0', kind: 'cpu' }],
      gpu: { available: false, reason: 'not known yet' },
      backends: []
    });
    host.appendChild(this.node);
  }

  /** The request the controls describe now. */
  request(): TimingRequest {
    const size = parseInt(this.sizeInput.value, 10);
    return {
      device: this.device,
      backend: this.backendSelect.value || null,
      size: size > 0 ? size : null
    };
  }

  setDevices(info: DevicesInfo): void {
    this.devicesBar.replaceChildren();
    const names = info.devices.map(d => toggleName(d.name));
    if (!names.includes('cpu')) {
      names.unshift('cpu');
    }
    if (!names.includes('gpu')) {
      names.push('gpu');
    }
    for (const name of names) {
      const known = info.devices.find(d => toggleName(d.name) === name);
      const button = element('button', 'tg-device', name.toUpperCase());
      button.type = 'button';
      button.dataset.device = name;
      const missing = !known && name === 'gpu';
      button.disabled = missing;
      button.title = missing ? `no GPU: ${info.gpu.reason}` : (known?.description ?? name);
      button.addEventListener('click', () => this.select(name));
      this.devicesBar.appendChild(button);
    }
    const select = this.backendSelect;
    const chosen = select.value;
    select.replaceChildren(new Option('auto', ''));
    for (const backend of info.backends) {
      const option = new Option(backend.name, backend.name);
      option.disabled = !backend.available;
      option.title = backend.reason ?? '';
      select.appendChild(option);
    }
    select.value = chosen;
    const current = names.includes(this.device) ? this.device : 'cpu';
    this.select(current);
  }

  /** Toggle a device; off the host CPU only PyTensor's JAX backend runs. */
  private select(device: string): void {
    this.device = device;
    for (const button of Array.from(
      this.devicesBar.querySelectorAll<HTMLButtonElement>('.tg-device')
    )) {
      const on = button.dataset.device === device;
      button.classList.toggle('tg-selected', on);
      button.setAttribute('aria-pressed', String(on));
    }
    const hostOnly = device !== 'cpu';
    for (const option of Array.from(this.backendSelect.options)) {
      if (option.value === 'numba' || option.value === 'cvm') {
        option.hidden = hostOnly;
      }
    }
    const value = this.backendSelect.value;
    if (hostOnly && (value === 'numba' || value === 'cvm')) {
      this.backendSelect.value = '';
    }
  }

  setBusy(busy: boolean): void {
    this.busy = busy;
    this.runButton.disabled = busy;
    this.runButton.textContent = busy ? 'Running…' : 'Run';
    this.node.setAttribute('aria-busy', String(busy));
  }

  setRows(rows: TimingRow[]): void {
    const gains = speedups(rows);
    this.body.replaceChildren();
    rows.forEach((row, i) => this.body.appendChild(this.rowNode(row, gains[i])));
    const last = rows[rows.length - 1];
    this.status.textContent = last ? this.statusText(last) : '';
    this.signature.textContent = last?.signature ? `inputs: ${last.signature}` : '';
  }

  /** Why the last request could not run (e.g. no GPU); "" hides it. */
  setMessage(message: string): void {
    this.message.textContent = message;
    this.message.hidden = !message;
  }

  dispose(): void {
    this.node.remove();
  }

  private run(): void {
    if (!this.busy) {
      this.options.onRun(this.request());
    }
  }

  private rowNode(row: TimingRow, gain: number | null): HTMLTableRowElement {
    const tr = element('tr', row.error ? 'tg-timing-error' : '');
    tr.dataset.device = row.device;
    const cell = (content: string, title = ''): HTMLTableCellElement => {
      const td = element('td', '', content);
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

  private statusText(row: TimingRow): string {
    const parts = [...(row.notes ?? [])];
    if (row.interrupted) {
      parts.unshift('stopped early: showing what was measured');
    } else if (row.budget_exhausted) {
      parts.unshift('the time budget ran out before all repeats');
    }
    return parts.join('; ');
  }
}
