import widget, {
  ProfileJSON,
  WidgetModel,
  heatColour,
  profileTargets
} from '../../labextension/src/widget';
import { TimingRow } from '../../labextension/src/timingview';
import { SVG_COLLAPSED, SVG_EXPANDED, bundle, graph, node } from './fixtures';

/** anywidget's model contract, kept in memory: get/set/save_changes/on/off. */
class MemoryModel implements WidgetModel {
  saved = 0;
  sent: Record<string, unknown>[] = [];
  private values: Record<string, unknown>;
  private handlers: Record<string, Set<() => void>> = {};

  constructor(values: Record<string, unknown>) {
    this.values = values;
  }
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  get(name: string): any {
    return this.values[name];
  }
  set(name: string, value: unknown) {
    this.values[name] = value;
    this.handlers[`change:${name}`]?.forEach(h => h());
  }
  save_changes() {
    this.saved += 1;
  }
  on(event: string, cb: () => void) {
    (this.handlers[event] ??= new Set()).add(cb);
  }
  off(event: string, cb: () => void) {
    this.handlers[event]?.delete(cb);
  }
  send(content: Record<string, unknown>) {
    this.sent.push(content);
  }
  listeners() {
    return Object.values(this.handlers).reduce((n, s) => n + s.size, 0);
  }
}

const NO_GPU =
  "Unknown backend: 'gpu' requested, but no platforms that are instances of gpu are present.";

const DEVICES = {
  devices: [{ name: 'cpu:0', kind: 'cpu', description: 'TFRT_CPU_0' }],
  gpu: { available: false, reason: NO_GPU },
  backends: [
    { name: 'numba', available: true, reason: '' },
    { name: 'cvm', available: true, reason: '' },
    { name: 'jax', available: true, reason: '' }
  ]
};

function timingRow(over: Partial<TimingRow> = {}): TimingRow {
  return {
    device: 'cpu:0',
    backend: 'numba',
    compile_s: 0.4,
    first_call_s: 0.9,
    median_s: 1e-5,
    iqr_s: 1e-7,
    calls: 5000,
    samples: [1e-5, 1.1e-5],
    signature: 'x: float64[100]',
    ...over
  };
}

const PROFILE: ProfileJSON = {
  backend: 'cvm',
  timed_backend: 'numba',
  device: 'cpu:0',
  calls: 200,
  total_s: 2e-5,
  top: [
    { key: 'Elemwise{exp}', label: 'Exp', seconds: 1.5e-5, fraction: 0.75, count: 1 },
    { key: 'Elemwise{mul}', label: 'Mul', seconds: 5e-6, fraction: 0.25, count: 1 }
  ],
  colours: { 'Elemwise{exp}': 0.75, 'Elemwise{mul}': 0.25 },
  notes: ['per-node times come from the C VM']
};

function setup(extra: Record<string, unknown> = {}) {
  const svg = {
    original: SVG_COLLAPSED,
    optimized: SVG_COLLAPSED,
    gradient: SVG_COLLAPSED,
    extra_view: ''
  };
  const model = new MemoryModel({
    bundle: bundle(),
    svg,
    layouts: { extra_view: { error: 'Extra view: too big' } },
    expanded: { original: [], optimized: [], gradient: [], extra_view: [] },
    status: 'laid out by Graphviz (wasm) in 0.01 s',
    error: '',
    devices: DEVICES,
    timings: [],
    busy: false,
    timing_error: '',
    profile: {},
    ...extra
  });
  const el = document.createElement('div');
  document.body.append(el);
  const cleanup = widget.render({ model, el });
  return { model, el, cleanup };
}

const tab = (el: Element, view: string) =>
  el.querySelector<HTMLButtonElement>(`.tg-tab[data-view=${view}]`)!;
const panel = (el: Element, view: string) =>
  el.querySelector<HTMLElement>(`.tg-panel[data-view=${view}]`)!;

afterEach(() => document.body.replaceChildren());

it('shows tabs for every view, rewrites and text, original first', () => {
  const { el } = setup();
  const views = Array.from(el.querySelectorAll<HTMLElement>('.tg-tab')).map(t => t.dataset.view);
  expect(views).toEqual(['original', 'optimized', 'gradient', 'extra_view', 'rewrites', 'text']);
  expect(tab(el, 'rewrites').textContent).toBe('Rewrites (2)');
  expect(tab(el, 'original').getAttribute('aria-selected')).toBe('true');
  expect(panel(el, 'original').querySelectorAll('.tg-graph svg g.node')).toHaveLength(4);
  expect(panel(el, 'optimized').hidden).toBe(true);
  expect(el.querySelector('.tg-notes')!.textContent).toContain('non-scalar output');
  expect(el.querySelector('.tg-status')!.textContent).toContain('wasm');
  expect(el.querySelector('style')!.textContent).toContain('.tg-root');
});

it('switches tabs and shows a view without a picture with its reason', () => {
  const { el } = setup();
  tab(el, 'extra_view').click();
  expect(panel(el, 'extra_view').hidden).toBe(false);
  expect(panel(el, 'original').hidden).toBe(true);
  expect(panel(el, 'extra_view').querySelector('.tg-empty')!.textContent).toBe(
    'Extra view: too big'
  );
  tab(el, 'text').click();
  expect(el.querySelector('.tg-text pre')!.textContent).toBe('module @jit_f { <tensor> }');
});

it('lists rewrites with noise folded behind a toggle', () => {
  const { el } = setup();
  tab(el, 'rewrites').click();
  const names = () => Array.from(el.querySelectorAll('.tg-rewrite-name')).map(n => n.textContent);
  expect(names()).toEqual(['local_log1p', 'local_mul_canonizer']);
  expect(el.querySelector('.tg-rewrites img')).toBeNull();
  const toggle = el.querySelector<HTMLButtonElement>('.tg-noise-toggle')!;
  expect(toggle.textContent).toBe('show 2 bookkeeping rewrites');
  toggle.click();
  expect(names()).toEqual(['local_log1p', 'MergeOptimizer', 'local_mul_canonizer', 'merge']);
  expect(el.querySelector('.tg-noise-toggle')!.textContent).toBe('hide 2 bookkeeping rewrites');
});

it('shows the nodes a rewrite created in the optimized view', () => {
  const { el } = setup();
  tab(el, 'rewrites').click();
  el.querySelector<HTMLButtonElement>('.tg-show-created')!.click();
  expect(tab(el, 'optimized').getAttribute('aria-selected')).toBe('true');
  // "exp" sits inside the collapsed Composite, which lights up instead
  expect(panel(el, 'optimized').querySelector('g.tg-flash')!.id).toBe('tg-comp');
});

it('expands through the synced trait and shows the new picture', () => {
  const { el, model } = setup();
  el.querySelector<SVGElement>('.tg-panel[data-view=original] #tg-comp text')!.dispatchEvent(
    new MouseEvent('click', { bubbles: true })
  );
  expect(model.get('expanded').original).toEqual(['comp']);
  expect(model.get('expanded').optimized).toEqual([]);
  expect(model.saved).toBe(1);
  expect(el.querySelector('.tg-status')!.textContent).toBe('laying out…');
  model.set('svg', { ...model.get('svg'), original: SVG_EXPANDED });
  expect(panel(el, 'original').querySelector('#tg-add')).not.toBeNull();
  expect(el.querySelector('.tg-status')!.textContent).toContain('wasm');
  model.set('status', 'laid out again');
  expect(el.querySelector('.tg-status')!.textContent).toBe('laid out again');
});

it('shows layout errors and removes its listeners on cleanup', () => {
  const { el, model, cleanup } = setup();
  expect(el.querySelector<HTMLElement>('.tg-error')!.hidden).toBe(true);
  model.set('error', 'Original: 900 nodes would be visible');
  expect(el.querySelector<HTMLElement>('.tg-error')!.hidden).toBe(false);
  cleanup();
  expect(model.listeners()).toBe(0);
});

describe('timing panel', () => {
  const section = (el: Element) => el.querySelector<HTMLElement>('.tg-timing-section')!;

  it('shows the devices, with the GPU disabled and JAX’s reason', () => {
    const { el } = setup();
    expect(section(el).hidden).toBe(false);
    expect(section(el).querySelector('.tg-timing')).not.toBeNull();
    const gpu = el.querySelector<HTMLButtonElement>('.tg-device[data-device=gpu]')!;
    expect(gpu.disabled).toBe(true);
    expect(gpu.title).toBe(`no GPU: ${NO_GPU}`);
    expect(el.querySelector<HTMLElement>('.tg-timing-backend')!.hidden).toBe(false);
  });

  it('is hidden when the kernel cannot time this target', () => {
    const { el } = setup({ devices: {} });
    expect(section(el).hidden).toBe(true);
  });

  it('asks the kernel to run and renders the rows it answers with', () => {
    const { el, model } = setup();
    el.querySelector<HTMLInputElement>('.tg-size')!.value = '500';
    el.querySelector<HTMLButtonElement>('.tg-run')!.click();
    expect(model.sent).toEqual([{ type: 'time', device: 'cpu', backend: null, size: 500 }]);
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

  it('colours the optimized view by the profile and lists the top ops', () => {
    const { el, model } = setup();
    el.querySelector<HTMLButtonElement>('.tg-profile-run')!.click();
    expect(model.sent).toEqual([{ type: 'profile', device: 'cpu', backend: null, size: null }]);
    model.set('profile', PROFILE);
    tab(el, 'optimized').click();
    const opt = panel(el, 'optimized');
    // exp sits in the collapsed Composite, which takes its colour
    const heated = Array.from(opt.querySelectorAll<SVGGElement>('g.tg-heat'));
    expect(heated.map(g => [g.id, g.getAttribute('data-heat')])).toEqual([
      ['tg-mul', '25.0'],
      ['tg-comp', '75.0']
    ]);
    expect(heated[1].getAttribute('style')).toBe(`--tg-heat: ${heatColour(1)}`);
    expect(panel(el, 'original').querySelector('g.tg-heat')).toBeNull();
    const rows = el.querySelectorAll<HTMLElement>('.tg-profile-table tbody tr');
    expect(Array.from(rows[0].querySelectorAll('td')).map(td => td.textContent)).toEqual([
      'Exp',
      '15.0 µs',
      '75.0 %'
    ]);
    expect(el.querySelector('.tg-profile-note')!.textContent).toContain(
      'per-node times from cvm, not numba as timed'
    );
    rows[1].click();
    expect(opt.querySelector('g.tg-flash')!.id).toBe('tg-mul');
    // expanding lays out again: the new picture is coloured too
    model.set('svg', { ...model.get('svg'), optimized: SVG_EXPANDED });
    expect(opt.querySelector('#tg-exp')!.classList).toContain('tg-heat');
    model.set('profile', {});
    expect(opt.querySelector('g.tg-heat')).toBeNull();
  });
});

describe('profile keys', () => {
  it('are op texts for PyTensor, HLO names and fusions for JAX', () => {
    const g = graph();
    expect(profileTargets(g, 'pytensor').get('Elemwise{exp}')).toEqual(['exp']);
    g.nodes.push(node('n1', { name: 'add.3', op: 'add' }));
    g.subgraphs.push({
      id: 'f1',
      label: 'loop_add_fusion',
      kind: 'fusion',
      parent: null
    });
    const jax = profileTargets(g, 'jax');
    expect(jax.get('add.3')).toEqual(['n1']);
    expect(jax.get('loop_add_fusion')).toEqual(['f1']);
    expect(jax.has('Elemwise{exp}')).toBe(false);
  });
});
