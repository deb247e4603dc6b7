import { WidgetRequest } from '../../../labextension/src/common/messages';
import { heatColour } from '../../../labextension/src/common/profileview';
import widget, { IWidgetModel } from '../../../labextension/src/widget';
import {
  NO_GPU,
  SVG_COLLAPSED,
  SVG_EXPANDED,
  bundle,
  devices,
  offers,
  timingRow
} from '../fixtures';

/** anywidget's model contract, kept in memory: get/set/save_changes/on/off/send. */
class MemoryModel implements IWidgetModel {
  saved = 0;
  sent: WidgetRequest[] = [];

  constructor(private _values: Record<string, unknown>) {}

  get(name: string): unknown {
    return this._values[name];
  }
  set(name: string, value: unknown) {
    this._values[name] = value;
    this._handlers[`change:${name}`]?.forEach(h => h());
  }
  /** Several traits in one kernel message: all set first, then each change fires. */
  update(values: Record<string, unknown>) {
    Object.assign(this._values, values);
    for (const name of Object.keys(values)) {
      this._handlers[`change:${name}`]?.forEach(h => h());
    }
  }
  save_changes() {
    this.saved += 1;
  }
  on(event: string, cb: () => void) {
    (this._handlers[event] ??= new Set()).add(cb);
  }
  off(event: string, cb: () => void) {
    this._handlers[event]?.delete(cb);
  }
  send(content: WidgetRequest) {
    this.sent.push(content);
  }
  listeners() {
    return Object.values(this._handlers).reduce((n, s) => n + s.size, 0);
  }

  private _handlers: Record<string, Set<() => void>> = {};
}

const PROFILE = {
  target: 'f',
  framework: 'pytensor',
  backend: 'cvm',
  timed_backend: 'numba',
  device: 'cpu:0',
  view: 'optimized',
  calls: 200,
  total_s: 2e-5,
  top: [
    { key: 'exp', label: 'Exp', seconds: 1.5e-5, fraction: 0.75, count: 1 },
    { key: 'mul', label: 'Mul', seconds: 5e-6, fraction: 0.25, count: 1 }
  ],
  colours: { exp: 0.75, mul: 0.25 },
  notes: ['per-node times come from the C VM']
};

function traits(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    bundle: bundle(),
    offers: offers(),
    svg: {
      original: SVG_COLLAPSED,
      optimized: SVG_COLLAPSED,
      gradient: SVG_COLLAPSED,
      extra_view: ''
    },
    layouts: { extra_view: { error: 'Extra view: too big' } },
    expanded: { original: [], optimized: [], gradient: [], extra_view: [] },
    pending: {},
    status: 'laid out by Graphviz (wasm) in 0.01 s',
    error: '',
    devices: devices(),
    timings: [],
    busy: false,
    timing_error: '',
    profile: {},
    autorun: false,
    ...extra
  };
}

/** The kernel's state while optimized and gradient are still being built. */
function lazy(extra: Record<string, unknown> = {}): Record<string, unknown> {
  const b = bundle();
  delete b.views.optimized;
  delete b.views.gradient;
  return traits({
    bundle: b,
    svg: { original: SVG_COLLAPSED, extra_view: '' },
    pending: {
      optimized: { task: 'rewriting', started: 1000 },
      gradient: { task: 'taking the gradient', started: null }
    },
    ...extra
  });
}

function show(model: MemoryModel) {
  const el = document.createElement('div');
  document.body.append(el);
  const cleanup = widget.render({ model, el });
  return { el, cleanup };
}

function setup(extra: Record<string, unknown> = {}) {
  const model = new MemoryModel(traits(extra));
  return { model, ...show(model) };
}

const tab = (el: Element, view: string) =>
  el.querySelector<HTMLButtonElement>(`.tg-tab[data-view="${view}"]`)!;
const panel = (el: Element, view: string) =>
  el.querySelector<HTMLElement>(`.tg-panel[data-view="${view}"]`)!;
const tabNames = (el: Element) =>
  Array.from(el.querySelectorAll<HTMLElement>('.tg-tab')).map(t => [t.dataset.view, t.textContent]);

afterEach(() => {
  document.body.replaceChildren();
  jest.useRealTimers();
});

describe('off screen', () => {
  it('draws and asks the kernel nothing until the widget comes near the screen', () => {
    const watchers: IntersectionObserverCallback[] = [];
    Object.assign(globalThis, {
      IntersectionObserver: class {
        constructor(callback: IntersectionObserverCallback) {
          watchers.push(callback);
        }
        observe() {}
        disconnect() {}
      }
    });
    try {
      const model = new MemoryModel(lazy({ autorun: true, devices: null }));
      const { el } = show(model);
      expect(el.querySelector('.tg-root')).toBeNull();
      expect(model.sent).toEqual([]);
      const near = watchers[watchers.length - 1];
      near([{ isIntersecting: true } as IntersectionObserverEntry], {} as IntersectionObserver);
      expect(
        el.querySelectorAll('.tg-panel[data-view="original"] .tg-graph svg g.node')
      ).toHaveLength(4);
      expect(model.sent.map(m => m.type).sort()).toEqual(['devices', 'view', 'view']);
    } finally {
      delete (globalThis as { IntersectionObserver?: unknown }).IntersectionObserver;
    }
  });
});

describe('tabs', () => {
  it('are the offered views in order, then rewrites and each text', () => {
    const { el } = setup();
    expect(tabNames(el)).toEqual([
      ['original', 'Original'],
      ['optimized', 'Optimized'],
      ['gradient', 'Gradient'],
      ['extra_view', 'Extra view'],
      ['rewrites', 'Rewrites (4)'],
      ['text:stablehlo', 'StableHLO']
    ]);
    expect(tab(el, 'original').getAttribute('aria-selected')).toBe('true');
    expect(panel(el, 'original').querySelectorAll('.tg-graph svg g.node')).toHaveLength(4);
    expect(panel(el, 'optimized').hidden).toBe(true);
    expect(el.querySelector('.tg-notes')!.textContent).toContain('non-scalar output');
    expect(el.querySelector('.tg-status')!.textContent).toContain('wasm');
    // the CSS comes once per widget class through anywidget's _css
    expect(el.querySelector('style')).toBeNull();
  });

  it('follow the offers, not the bundle or its framework', () => {
    const { el } = setup({
      bundle: { ...bundle(), framework: 'tinyexpr' },
      offers: offers({
        views: [
          { name: 'gradient', title: 'd/dx' },
          { name: 'original', title: 'As written' }
        ],
        rewrites: false,
        texts: []
      })
    });
    expect(tabNames(el)).toEqual([
      ['gradient', 'd/dx'],
      ['original', 'As written']
    ]);
    expect(panel(el, 'gradient').querySelectorAll('.tg-graph svg g.node')).toHaveLength(4);
  });

  it('show a view without a picture with its reason, and a text dump as text', () => {
    const { el } = setup();
    tab(el, 'extra_view').click();
    expect(panel(el, 'extra_view').hidden).toBe(false);
    expect(panel(el, 'original').hidden).toBe(true);
    expect(panel(el, 'extra_view').querySelector('.tg-empty')!.textContent).toBe(
      'Extra view: too big'
    );
    tab(el, 'text:stablehlo').click();
    expect(el.querySelector('.tg-text pre')!.textContent).toBe('module @jit_f { <tensor> }');
  });
});

describe('rewrites', () => {
  it('are grouped by view, counted when bookkeeping, and show created nodes', () => {
    const { el } = setup();
    tab(el, 'rewrites').click();
    const groups = Array.from(el.querySelectorAll<HTMLElement>('ol.tg-rewrites')).map(l => [
      l.dataset.view,
      Array.from(l.querySelectorAll('li')).map(li => li.value)
    ]);
    expect(groups).toEqual([
      ['optimized', [1, 2]],
      ['gradient', [1, 2]]
    ]);
    expect(el.querySelector('.tg-noise-count')!.textContent).toBe(
      '2 bookkeeping rewrites (merge, constant folding) not listed'
    );
    el.querySelector<HTMLButtonElement>('.tg-show-created')!.click();
    expect(tab(el, 'optimized').getAttribute('aria-selected')).toBe('true');
    // "exp" sits inside the collapsed Composite, which lights up instead
    expect(panel(el, 'optimized').querySelector('g.tg-flash')!.id).toBe('tg-comp');
  });

  it('are all listed when the graph offers the bookkeeping ones', () => {
    const { el } = setup({ offers: offers({ show_noise: true }) });
    expect(tab(el, 'rewrites').textContent).toBe('Rewrites (6)');
    tab(el, 'rewrites').click();
    expect(el.querySelectorAll('li.tg-rewrite.tg-noise')).toHaveLength(2);
    expect(el.querySelector('.tg-noise-count')).toBeNull();
  });
});

describe('pending views', () => {
  it('show their task and the time the kernel has spent, live', () => {
    jest.useFakeTimers({ now: 1_003_200 });
    const { el } = setup(lazy());
    expect(tab(el, 'optimized').classList).toContain('tg-tab-pending');
    expect(tab(el, 'original').classList).not.toContain('tg-tab-pending');
    tab(el, 'optimized').click();
    const text = () => panel(el, 'optimized').querySelector('.tg-pending-text')!.textContent;
    expect(text()).toBe('rewriting… 3.2 s');
    jest.advanceTimersByTime(1000);
    expect(text()).toBe('rewriting… 4.2 s');
    tab(el, 'gradient').click();
    expect(panel(el, 'gradient').textContent).toBe(
      'taking the gradient: waiting for the kernel (cells run first)'
    );
  });

  it('turn into the graph when the kernel has built them', () => {
    jest.useFakeTimers({ now: 1_003_200 });
    const model = new MemoryModel(lazy());
    const { el } = show(model);
    tab(el, 'optimized').click();
    tab(el, 'rewrites').click();
    expect(el.querySelector('.tg-rewrites-view')!.textContent).toContain(
      'The rewrites of Optimized come when it is built.'
    );
    tab(el, 'optimized').click();
    const b = bundle();
    delete b.views.gradient;
    model.update({
      bundle: b,
      svg: { original: SVG_COLLAPSED, optimized: SVG_COLLAPSED, extra_view: '' },
      pending: { gradient: { task: 'taking the gradient', started: 1003 } }
    });
    expect(tab(el, 'optimized').classList).not.toContain('tg-tab-pending');
    expect(tab(el, 'optimized').getAttribute('aria-selected')).toBe('true');
    expect(panel(el, 'optimized').querySelector('.tg-pending')).toBeNull();
    expect(panel(el, 'optimized').querySelectorAll('.tg-graph svg g.node')).toHaveLength(4);
    tab(el, 'gradient').click();
    expect(panel(el, 'gradient').textContent).toBe('taking the gradient… 0.2 s');
    tab(el, 'rewrites').click();
    expect(el.querySelector('.tg-rewrites-view')!.textContent).not.toContain(
      'The rewrites of Optimized'
    );
  });

  it('are asked for once per model, however often it is shown', () => {
    const model = new MemoryModel(lazy());
    const first = show(model);
    expect(model.sent).toEqual([
      { type: 'view', view: 'optimized' },
      { type: 'view', view: 'gradient' }
    ]);
    tab(first.el, 'optimized').click();
    show(model); // a second view of the same output
    expect(model.sent).toHaveLength(2);
    const other = new MemoryModel(lazy());
    show(other);
    expect(other.sent).toHaveLength(2);
  });

  it('are asked for when their tab opens if they came after the first render', () => {
    const model = new MemoryModel(traits());
    const { el } = show(model);
    expect(model.sent).toEqual([]);
    model.update({ pending: { extra_view: { task: 'laying out', started: null } } });
    expect(model.sent).toEqual([]);
    tab(el, 'extra_view').click();
    tab(el, 'original').click();
    tab(el, 'extra_view').click();
    expect(model.sent).toEqual([{ type: 'view', view: 'extra_view' }]);
  });
});

describe('automatic timing', () => {
  it('asks for devices at once and times once the pending views have come', () => {
    const model = new MemoryModel(lazy({ autorun: true, devices: {} }));
    const { el } = show(model);
    expect(model.sent.filter(m => m.type !== 'view')).toEqual([{ type: 'devices' }]);
    const gpu = el.querySelector<HTMLButtonElement>('.tg-device[data-device=gpu]')!;
    expect(gpu.disabled).toBe(true);
    expect(el.querySelector('.tg-timing-looking')!.textContent).toBe('looking for devices…');
    model.update({ pending: { gradient: { task: 'taking the gradient', started: 5 } } });
    expect(model.sent.filter(m => m.type === 'time')).toEqual([]);
    model.update({ pending: {}, devices: devices() });
    expect(model.sent.filter(m => m.type === 'time')).toEqual([
      { type: 'time', device: '', backend: null, size: null, automatic: true }
    ]);
    expect(el.querySelector<HTMLButtonElement>('.tg-device[data-device=cpu]')!.disabled).toBe(
      false
    );
    show(model);
    model.update({ pending: {} });
    expect(model.sent.filter(m => m.type !== 'view')).toHaveLength(2);
  });

  it('times at once when nothing is pending', () => {
    const model = new MemoryModel(traits({ autorun: true }));
    show(model);
    expect(model.sent).toEqual([
      { type: 'time', device: '', backend: null, size: null, automatic: true }
    ]);
  });

  it('is stopped by one button before it is sent', () => {
    const model = new MemoryModel(lazy({ autorun: true, devices: {} }));
    const { el } = show(model);
    const stop = el.querySelector<HTMLButtonElement>('.tg-timing-stop')!;
    expect(stop.hidden).toBe(false);
    stop.click();
    expect(stop.hidden).toBe(true);
    model.update({ pending: {} });
    expect(model.sent.filter(m => m.type === 'time')).toEqual([]);
    // Run still times by hand, not marked automatic
    el.querySelector<HTMLButtonElement>('.tg-run')!.click();
    expect(model.sent.filter(m => m.type === 'time')).toEqual([
      { type: 'time', device: '', backend: null, size: null }
    ]);
  });

  it('stops a run once it is sent, with the same button', () => {
    const model = new MemoryModel(traits({ devices: devices() }));
    const { el } = show(model);
    el.querySelector<HTMLButtonElement>('.tg-run')!.click();
    const stop = el.querySelector<HTMLButtonElement>('.tg-timing-stop')!;
    expect([stop.hidden, stop.textContent]).toEqual([false, 'Stop']);
    stop.click();
    expect(model.sent.filter(m => m.type === 'time' || m.type === 'stop')).toEqual([
      { type: 'time', device: '', backend: null, size: null },
      { type: 'stop' }
    ]);
  });

  it('does nothing by itself without autorun, or when already timed', () => {
    const off = new MemoryModel(lazy({ devices: {} }));
    const { el } = show(off);
    off.update({ pending: {} });
    expect(off.sent.filter(m => m.type !== 'view')).toEqual([]);
    expect(el.querySelector('.tg-timing-looking')!.textContent).toBe(
      'devices are found on the first run'
    );
    const timed = new MemoryModel(traits({ autorun: true, timings: [timingRow()] }));
    show(timed);
    expect(timed.sent).toEqual([]);
  });
});

it('expands through the synced trait and shows the new picture', () => {
  const { el, model } = setup();
  el.querySelector<SVGElement>('.tg-panel[data-view=original] #tg-comp text')!.dispatchEvent(
    new MouseEvent('click', { bubbles: true })
  );
  expect((model.get('expanded') as Record<string, string[]>).original).toEqual(['comp']);
  expect((model.get('expanded') as Record<string, string[]>).optimized).toEqual([]);
  expect(model.saved).toBe(1);
  expect(el.querySelector('.tg-status')!.textContent).toBe('laying out…');
  model.set('svg', { ...(model.get('svg') as object), original: SVG_EXPANDED });
  expect(panel(el, 'original').querySelector('#tg-add')).not.toBeNull();
  expect(el.querySelector('.tg-status')!.textContent).toContain('wasm');
  model.set('status', 'laid out again');
  expect(el.querySelector('.tg-status')!.textContent).toBe('laid out again');
});

it('shows layout errors and removes its listeners and timers on cleanup', () => {
  jest.useFakeTimers();
  const model = new MemoryModel(lazy());
  const { el, cleanup } = show(model);
  expect(el.querySelector<HTMLElement>('.tg-error')!.hidden).toBe(true);
  model.set('error', 'Original: 900 nodes would be visible');
  expect(el.querySelector<HTMLElement>('.tg-error')!.hidden).toBe(false);
  tab(el, 'optimized').click();
  expect(jest.getTimerCount()).toBe(1);
  cleanup();
  expect(model.listeners()).toBe(0);
  expect(jest.getTimerCount()).toBe(0);
});

describe('timing panel', () => {
  const section = (el: Element) => el.querySelector<HTMLElement>('.tg-timing-section')!;

  it('shows the devices, with the GPU disabled and the kernel’s reason', () => {
    const { el } = setup({ offers: offers({ backend_label: 'mode' }) });
    expect(section(el).hidden).toBe(false);
    const gpu = el.querySelector<HTMLButtonElement>('.tg-device[data-device=gpu]')!;
    expect(gpu.disabled).toBe(true);
    expect(gpu.title).toBe(`no GPU: ${NO_GPU}`);
    expect(el.querySelector<HTMLElement>('.tg-timing-backend')!.hidden).toBe(false);
    expect(el.querySelectorAll('.tg-timing-table th')[1].textContent).toBe('mode');
  });

  it('is hidden when the graph offers no timing', () => {
    const { el } = setup({ offers: offers({ timing: false }) });
    expect(section(el).hidden).toBe(true);
  });

  it('asks the kernel to run and renders the rows it answers with', () => {
    const { el, model } = setup();
    el.querySelector<HTMLInputElement>('.tg-size')!.value = '500';
    el.querySelector<HTMLButtonElement>('.tg-run')!.click();
    expect(model.sent).toEqual([
      { type: 'devices' },
      { type: 'time', device: '', backend: null, size: 500 }
    ]);
    expect(el.querySelector<HTMLButtonElement>('.tg-run')!.disabled).toBe(true);
    model.set('busy', true);
    model.set('timings', [timingRow(), timingRow({ backend: 'cvm', median_s: 2e-5 })]);
    model.set('busy', false);
    const rows = el.querySelectorAll('.tg-timing-table tbody tr');
    expect(rows).toHaveLength(2);
    expect(rows[1].textContent).toContain('cvm');
    expect(rows[1].textContent).toContain('0.50×');
    expect(el.querySelector('.tg-timing-signature')!.textContent).toBe('inputs: x: float64[100]');
    expect(el.querySelector<HTMLButtonElement>('.tg-run')!.disabled).toBe(false);
  });

  it('shows why a request could not run, as text', () => {
    const { el, model } = setup();
    const message = el.querySelector<HTMLElement>('.tg-timing-message')!;
    expect(message.hidden).toBe(true);
    model.set('timing_error', `no GPU: <b>${NO_GPU}</b>`);
    expect(message.hidden).toBe(false);
    expect(message.textContent).toBe(`no GPU: <b>${NO_GPU}</b>`);
    expect(message.querySelector('b')).toBeNull();
  });

  it('colours the profiled view by node id and lists the top nodes', () => {
    const { el, model } = setup();
    el.querySelector<HTMLButtonElement>('.tg-profile-run')!.click();
    expect(model.sent).toEqual([
      { type: 'devices' },
      { type: 'profile', device: '', backend: null, size: null }
    ]);
    model.set('profile', PROFILE);
    tab(el, 'optimized').click();
    const opt = panel(el, 'optimized');
    // exp sits in the collapsed Composite, which takes its colour
    const heated = Array.from(opt.querySelectorAll<SVGGElement>('g.tg-heat'));
    expect(heated.map(g => [g.id, g.getAttribute('data-heat')])).toEqual([
      ['tg-mul', '25.0'],
      ['tg-comp', '75.0']
    ]);
    expect(heated[1].getAttribute('style')).toBe('--tg-heat: hsl(0, 95%, 58%)');
    expect(heated[0].getAttribute('style')).toBe('--tg-heat: hsl(33, 95%, 78%)');
    expect(panel(el, 'original').querySelector('g.tg-heat')).toBeNull();
    const rows = el.querySelectorAll<HTMLElement>('.tg-profile-table tbody tr');
    expect(Array.from(rows[0].querySelectorAll('td')).map(td => td.textContent)).toEqual([
      'Exp',
      '15.0 µs',
      '75.0 %'
    ]);
    expect(el.querySelector('.tg-profile-note')!.textContent).toBe(
      'per-node times from cvm, not numba as timed on cpu:0: 20.0 µs per call, 200 calls; ' +
        'per-node times come from the C VM'
    );
    tab(el, 'original').click();
    rows[1].click();
    expect(tab(el, 'optimized').getAttribute('aria-selected')).toBe('true');
    expect(opt.querySelector('g.tg-flash')!.id).toBe('tg-mul');
    // expanding lays out again: the new picture is coloured too
    model.set('svg', { ...(model.get('svg') as object), optimized: SVG_EXPANDED });
    expect(opt.querySelector('#tg-exp')!.classList).toContain('tg-heat');
    model.set('profile', {});
    expect(opt.querySelector('g.tg-heat')).toBeNull();
  });
});

describe('heat colours', () => {
  it('run from pale yellow to red and clamp outside 0..1', () => {
    expect(heatColour(0)).toBe('hsl(50, 95%, 88%)');
    expect(heatColour(1)).toBe('hsl(0, 95%, 58%)');
    expect(heatColour(0.5)).toBe('hsl(25, 95%, 73%)');
    expect(heatColour(7)).toBe(heatColour(1));
  });
});
