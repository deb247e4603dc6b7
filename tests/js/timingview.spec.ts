import {
  DevicesInfo,
  TimingRequest,
  TimingRow,
  TimingView,
  formatSeconds,
  speedups,
  toggleName
} from '../../labextension/src/timingview';

const NO_GPU =
  "Unknown backend: 'gpu' requested, but no platforms that are instances of gpu are present.";

function devices(gpu: boolean, cpus = 1): DevicesInfo {
  const list = Array.from({ length: cpus }, (_, i) => ({
    name: `cpu:${i}`,
    kind: 'cpu'
  }));
  if (gpu) {
    list.push({ name: 'gpu:0', kind: 'gpu' });
  }
  return {
    devices: list,
    gpu: { available: gpu, reason: gpu ? '' : NO_GPU },
    backends: [
      { name: 'numba', available: true },
      { name: 'cvm', available: false, reason: 'no C++ compiler' },
      { name: 'jax', available: true }
    ]
  };
}

function row(over: Partial<TimingRow> = {}): TimingRow {
  return {
    device: 'cpu:0',
    backend: 'numba',
    compile_s: 0.5,
    first_call_s: 0.2,
    median_s: 2e-5,
    iqr_s: 1e-6,
    calls: 1000,
    samples: [2e-5, 2.1e-5, 1.9e-5],
    ...over
  };
}

function make(backends = true): {
  host: HTMLElement;
  view: TimingView;
  runs: TimingRequest[];
} {
  const host = document.createElement('div');
  const runs: TimingRequest[] = [];
  const view = new TimingView(host, { onRun: r => runs.push(r), backends });
  return { host, view, runs };
}

describe('formatting', () => {
  it('picks a unit per magnitude', () => {
    expect(formatSeconds(1.234)).toBe('1.23 s');
    expect(formatSeconds(0.0456)).toBe('45.6 ms');
    expect(formatSeconds(5.2e-6)).toBe('5.20 µs');
    expect(formatSeconds(null)).toBe('—');
  });

  it('compares every row with the first', () => {
    const gains = speedups([
      row({ median_s: 4e-3 }),
      row({ median_s: 1e-3 }),
      row({ median_s: null })
    ]);
    expect(gains).toEqual([1, 4, null]);
    expect(toggleName('cpu:0')).toBe('cpu');
    expect(toggleName('cpu:1')).toBe('cpu:1');
  });
});

describe('TimingView', () => {
  it('disables the GPU with JAX’s reason when there is none', () => {
    const { host, view } = make();
    view.setDevices(devices(false));
    const gpu = host.querySelector<HTMLButtonElement>('.tg-device[data-device=gpu]')!;
    expect(gpu.disabled).toBe(true);
    expect(gpu.title).toBe(`no GPU: ${NO_GPU}`);
    expect(host.querySelector('.tg-timing')).not.toBeNull();
  });

  it('asks for the chosen device, backend and size', () => {
    const { host, view, runs } = make();
    view.setDevices(devices(true, 2));
    const names = Array.from(host.querySelectorAll<HTMLElement>('.tg-device')).map(
      b => b.dataset.device
    );
    expect(names).toEqual(['cpu', 'cpu:1', 'gpu']);
    host.querySelector<HTMLSelectElement>('.tg-backend')!.value = 'numba';
    host.querySelector<HTMLInputElement>('.tg-size')!.value = '1000';
    host.querySelector<HTMLButtonElement>('.tg-run')!.click();
    expect(runs).toEqual([{ device: 'cpu', backend: 'numba', size: 1000 }]);

    host.querySelector<HTMLButtonElement>('.tg-device[data-device=gpu]')!.click();
    host.querySelector<HTMLButtonElement>('.tg-run')!.click();
    expect(runs[1]).toEqual({ device: 'gpu', backend: null, size: 1000 });
    const pressed = host.querySelector('.tg-device[aria-pressed=true]') as HTMLElement;
    expect(pressed.dataset.device).toBe('gpu');
  });

  it('marks unavailable backends and hides them for JAX targets', () => {
    const { host, view } = make();
    view.setDevices(devices(false));
    const cvm = host.querySelector<HTMLOptionElement>('.tg-backend option[value=cvm]')!;
    expect(cvm.disabled).toBe(true);
    expect(cvm.title).toBe('no C++ compiler');
    const jax = make(false);
    const label = jax.host.querySelector<HTMLElement>('.tg-timing-backend')!;
    expect(label.hidden).toBe(true);
  });

  it('does not run twice while busy', () => {
    const { host, view, runs } = make();
    view.setBusy(true);
    const run = host.querySelector<HTMLButtonElement>('.tg-run')!;
    expect(run.disabled).toBe(true);
    run.dispatchEvent(new MouseEvent('click'));
    expect(runs).toHaveLength(0);
    view.setBusy(false);
    run.click();
    expect(runs).toHaveLength(1);
  });

  it('shows one row per result with speed-up and a plot', () => {
    const { host, view } = make();
    view.setRows([
      row({ median_s: 4e-3, iqr_s: 1e-4 }),
      row({ device: 'gpu:0', backend: 'jax', median_s: 1e-3, transfer_s: 1e-4 })
    ]);
    const rows = host.querySelectorAll('.tg-timing-table tbody tr');
    expect(rows).toHaveLength(2);
    const cells = Array.from(rows[1].querySelectorAll('td')).map(td => td.textContent);
    expect(cells.slice(0, 7)).toEqual([
      'gpu:0',
      'jax',
      '500 ms',
      '200 ms',
      '1.00 ms ± 1.00 µs',
      '1000',
      '4.00×'
    ]);
    expect(rows[1].querySelectorAll('svg circle')).toHaveLength(3);
    expect(rows[1].querySelector('svg line.tg-timing-median')).not.toBeNull();
  });

  it('shows errors and partial results as text, never markup', () => {
    const { host, view } = make();
    view.setRows([
      row({ error: '<b>TypeError</b>: boom', median_s: null }),
      row({ interrupted: true, calls: 12, notes: ['note'] })
    ]);
    const rows = host.querySelectorAll('.tg-timing-table tbody tr');
    expect(rows[0].querySelector('b')).toBeNull();
    expect(rows[0].textContent).toContain('<b>TypeError</b>: boom');
    expect(rows[1].textContent).toContain('12 (stopped)');
    expect(host.querySelector('.tg-timing-status')!.textContent).toBe(
      'stopped early: showing what was measured; note'
    );
  });
});
