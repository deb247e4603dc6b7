import widget, { WidgetModel } from '../../labextension/src/widget';
import { SVG_COLLAPSED, SVG_EXPANDED, bundle } from './fixtures';

/** anywidget's model contract, kept in memory: get/set/save_changes/on/off. */
class MemoryModel implements WidgetModel {
  saved = 0;
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
  listeners() {
    return Object.values(this.handlers).reduce((n, s) => n + s.size, 0);
  }
}

function setup() {
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
    error: ''
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
  const views = Array.from(el.querySelectorAll<HTMLElement>('.tg-tab')).map(
    t => t.dataset.view
  );
  expect(views).toEqual([
    'original',
    'optimized',
    'gradient',
    'extra_view',
    'rewrites',
    'text'
  ]);
  expect(tab(el, 'rewrites').textContent).toBe('Rewrites (2)');
  expect(tab(el, 'original').getAttribute('aria-selected')).toBe('true');
  expect(
    panel(el, 'original').querySelectorAll('.tg-graph svg g.node')
  ).toHaveLength(4);
  expect(panel(el, 'optimized').hidden).toBe(true);
  expect(el.querySelector('.tg-notes')!.textContent).toContain(
    'non-scalar output'
  );
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
  expect(el.querySelector('.tg-text pre')!.textContent).toBe(
    'module @jit_f { <tensor> }'
  );
});

it('lists rewrites with noise folded behind a toggle', () => {
  const { el } = setup();
  tab(el, 'rewrites').click();
  const names = () =>
    Array.from(el.querySelectorAll('.tg-rewrite-name')).map(n => n.textContent);
  expect(names()).toEqual(['local_log1p', 'local_mul_canonizer']);
  expect(el.querySelector('.tg-rewrites img')).toBeNull();
  const toggle = el.querySelector<HTMLButtonElement>('.tg-noise-toggle')!;
  expect(toggle.textContent).toBe('show 2 bookkeeping rewrites');
  toggle.click();
  expect(names()).toEqual([
    'local_log1p',
    'MergeOptimizer',
    'local_mul_canonizer',
    'merge'
  ]);
  expect(el.querySelector('.tg-noise-toggle')!.textContent).toBe(
    'hide 2 bookkeeping rewrites'
  );
});

it('shows the nodes a rewrite created in the optimized view', () => {
  const { el } = setup();
  tab(el, 'rewrites').click();
  el.querySelector<HTMLButtonElement>('.tg-show-created')!.click();
  expect(tab(el, 'optimized').getAttribute('aria-selected')).toBe('true');
  // "exp" sits inside the collapsed Composite, which lights up instead
  expect(panel(el, 'optimized').querySelector('g.tg-flash')!.id).toBe(
    'tg-comp'
  );
});

it('expands through the synced trait and shows the new picture', () => {
  const { el, model } = setup();
  el.querySelector<SVGElement>(
    '.tg-panel[data-view=original] #tg-comp text'
  )!.dispatchEvent(new MouseEvent('click', { bubbles: true }));
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
