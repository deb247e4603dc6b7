import { formatSeconds } from '../../../labextension/src/common/dom';
import { DevicesJSON, TimingRowJSON } from '../../../labextension/src/common/messages';
import {
  ITimingChoice,
  TimingView,
  speedups,
  toggleName
} from '../../../labextension/src/common/timingview';
import { NO_GPU, devices, timingRow } from '../fixtures';

function row(over: Partial<TimingRowJSON> = {}): TimingRowJSON {
  return timingRow({
    compile_s: 0.5,
    first_call_s: 0.2,
    median_s: 2e-5,
    iqr_s: 1e-6,
    calls: 1000,
    samples: [2e-5, 2.1e-5, 1.9e-5],
    signature: '',
    ...over
  });
}

function make(info: DevicesJSON | null = devices(false)): {
  host: HTMLElement;
  view: TimingView;
  runs: ITimingChoice[];
  stops: number[];
} {
  const host = document.createElement('div');
  const runs: ITimingChoice[] = [];
  const stops: number[] = [];
  const view = new TimingView(host, { onRun: r => runs.push(r), onStop: () => stops.push(1) });
  view.setDevices(info);
  return { host, view, runs, stops };
}

afterEach(() => jest.useRealTimers());

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
  it('disables the GPU with the kernel’s reason when there is none', () => {
    const { host } = make();
    const gpu = host.querySelector<HTMLButtonElement>('.tg-device[data-device=gpu]')!;
    expect(gpu.disabled).toBe(true);
    expect(gpu.title).toBe(`no GPU: ${NO_GPU}`);
    expect(host.querySelector('.tg-timing')).not.toBeNull();
  });

  it('asks for the chosen device, backend and size', () => {
    const { host, runs } = make(devices(true, 2));
    const names = Array.from(host.querySelectorAll<HTMLElement>('.tg-device')).map(
      b => b.dataset.device
    );
    expect(names).toEqual(['cpu', 'cpu:1', 'gpu']);
    host.querySelector<HTMLSelectElement>('.tg-backend')!.value = 'numba';
    host.querySelector<HTMLInputElement>('.tg-size')!.value = '1000';
    host.querySelector<HTMLButtonElement>('.tg-run')!.click();
    expect(runs).toEqual([{ device: '', backend: 'numba', size: 1000 }]);

    host.querySelector<HTMLButtonElement>('.tg-device[data-device=gpu]')!.click();
    host.querySelector<HTMLButtonElement>('.tg-run')!.click();
    expect(runs[1]).toEqual({ device: 'gpu', backend: null, size: 1000 });
    const pressed = host.querySelector('.tg-device[aria-pressed=true]') as HTMLElement;
    expect(pressed.dataset.device).toBe('gpu');
  });

  it('shows the kernel’s default device until one is picked, and then names that one', () => {
    const { host, runs } = make(devices(true, 1, 'gpu'));
    const pressed = () =>
      (host.querySelector('.tg-device[aria-pressed=true]') as HTMLElement).dataset.device;
    expect(pressed()).toBe('gpu');
    // the GPU's toggle shows, but the request names no device: the kernel's default runs
    expect(host.querySelector<HTMLOptionElement>('.tg-backend option[value=numba]')!.hidden).toBe(
      true
    );
    host.querySelector<HTMLButtonElement>('.tg-run')!.click();
    host.querySelector<HTMLButtonElement>('.tg-device[data-device=cpu]')!.click();
    host.querySelector<HTMLButtonElement>('.tg-run')!.click();
    expect(runs.map(r => r.device)).toEqual(['', 'cpu']);
    expect(pressed()).toBe('cpu');
  });

  it('marks unavailable backends, and shows no select when the kernel offers none', () => {
    const { host } = make();
    const cvm = host.querySelector<HTMLOptionElement>('.tg-backend option[value=cvm]')!;
    expect(cvm.disabled).toBe(true);
    expect(cvm.title).toBe('no C++ compiler');
    expect(host.querySelector<HTMLElement>('.tg-timing-backend')!.hidden).toBe(false);
    const single = make({ ...devices(false), backends: [] });
    expect(single.host.querySelector<HTMLElement>('.tg-timing-backend')!.hidden).toBe(true);
  });

  it('hides backends that cannot drive a GPU once the GPU is chosen', () => {
    const { host } = make(devices(true));
    const select = host.querySelector<HTMLSelectElement>('.tg-backend')!;
    select.value = 'numba';
    host.querySelector<HTMLButtonElement>('.tg-device[data-device=gpu]')!.click();
    const hidden = Array.from(select.options)
      .filter(o => o.hidden)
      .map(o => o.value);
    expect(hidden).toEqual(['numba', 'cvm']);
    expect(select.value).toBe('');
    host.querySelector<HTMLButtonElement>('.tg-device[data-device=cpu]')!.click();
    expect(Array.from(select.options).filter(o => o.hidden)).toHaveLength(0);
  });

  it('names the backend column as the kernel says', () => {
    const { host, view } = make();
    view.setBackendLabel('XLA');
    expect(host.querySelectorAll('.tg-timing-table th')[1].textContent).toBe('XLA');
    expect(host.querySelector('.tg-timing-backend')!.textContent).toContain('XLA');
  });

  it('keeps the device toggle off until the devices arrive', () => {
    const { host, view, runs } = make(null);
    const buttons = () => Array.from(host.querySelectorAll<HTMLButtonElement>('.tg-device'));
    expect(buttons().map(b => [b.dataset.device, b.disabled])).toEqual([
      ['cpu', true],
      ['gpu', true]
    ]);
    expect(host.querySelector('.tg-timing-looking')!.textContent).toBe('looking for devices…');
    host.querySelector<HTMLButtonElement>('.tg-run')!.click();
    expect(runs).toEqual([{ device: '', backend: null, size: null }]);
    view.setDevices(devices(false, 2));
    expect(buttons().map(b => [b.dataset.device, b.disabled])).toEqual([
      ['cpu', false],
      ['cpu:1', false],
      ['gpu', true]
    ]);
    expect(host.querySelector<HTMLElement>('.tg-timing-looking')!.hidden).toBe(true);
  });

  it('shows timing… with the seconds since it began while busy', () => {
    jest.useFakeTimers({ now: 1_000_000 });
    const { host, view } = make();
    view.setRows([row()]);
    view.setBusy(true);
    const running = () => host.querySelector('.tg-timing-running');
    expect(running()!.textContent).toBe('timing… 0.0 s');
    jest.advanceTimersByTime(1500);
    expect(running()!.textContent).toBe('timing… 1.5 s');
    // a row that arrives meanwhile keeps the line last
    view.setRows([row(), row()]);
    const rows = host.querySelectorAll('.tg-timing-table tbody tr');
    expect(rows).toHaveLength(3);
    expect(rows[2].classList).toContain('tg-timing-running');
    view.setBusy(false);
    expect(running()).toBeNull();
    expect(jest.getTimerCount()).toBe(0);
  });

  it('offers to stop the automatic timing while it waits', () => {
    const { host, view, stops } = make();
    const stop = host.querySelector<HTMLButtonElement>('.tg-timing-stop')!;
    expect(stop.hidden).toBe(true);
    view.setAutomatic(true);
    expect(stop.hidden).toBe(false);
    stop.click();
    expect(stops).toEqual([1]);
  });

  it('turns the same button into Stop while a run is on', () => {
    const { host, view, stops } = make();
    const stop = host.querySelector<HTMLButtonElement>('.tg-timing-stop')!;
    view.setBusy(true);
    expect([stop.hidden, stop.textContent]).toEqual([false, 'Stop']);
    stop.click();
    expect(stops).toEqual([1]);
    view.setBusy(false);
    expect(stop.hidden).toBe(true);
    view.setAutomatic(true);
    expect([stop.hidden, stop.textContent]).toEqual([false, 'Don’t time']);
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
