import { WidgetRequest } from '../../../labextension/src/common/messages';
import {
  formatNumber,
  numbersView,
  valueRows,
  valuesOf
} from '../../../labextension/src/common/valuesview';
import widget, { IWidgetModel } from '../../../labextension/src/widget';
import { NASTY, SVG_COLLAPSED, bundle, devices, offers, value, viewValues } from '../fixtures';

class MemoryModel implements IWidgetModel {
  sent: WidgetRequest[] = [];
  constructor(private _values: Record<string, unknown>) {}
  get(name: string): unknown {
    return this._values[name];
  }
  set(name: string, value: unknown) {
    this._values[name] = value;
    this._handlers[`change:${name}`]?.forEach(h => h());
  }
  save_changes() {}
  on(event: string, cb: () => void) {
    (this._handlers[event] ??= new Set()).add(cb);
  }
  off(event: string, cb: () => void) {
    this._handlers[event]?.delete(cb);
  }
  send(content: WidgetRequest) {
    this.sent.push(content);
  }
  private _handlers: Record<string, Set<() => void>> = {};
}

function setup() {
  const model = new MemoryModel({
    bundle: bundle(),
    offers: offers(),
    svg: { original: SVG_COLLAPSED, optimized: SVG_COLLAPSED, gradient: SVG_COLLAPSED },
    layouts: {},
    expanded: { original: [], optimized: [], gradient: [] },
    pending: {},
    status: '',
    error: '',
    devices: devices(),
    timings: [],
    busy: false,
    timing_error: '',
    profile: {},
    autorun: false,
    values: {}
  });
  const el = document.createElement('div');
  document.body.append(el);
  const cleanup = widget.render({ model, el });
  return { model, el, cleanup };
}

function click(target: Element) {
  target.dispatchEvent(new MouseEvent('click', { bubbles: true }));
}

const inPanel = (el: Element, view: string, selector: string) =>
  el.querySelector<HTMLElement>(`.tg-panel[data-view="${view}"] ${selector}`)!;

const inspectorValues = (el: Element, view: string) =>
  Array.from(el.querySelectorAll(`.tg-panel[data-view="${view}"] .tg-values dt`)).map(dt => [
    dt.textContent,
    dt.nextElementSibling?.textContent
  ]);

afterEach(() => document.body.replaceChildren());

describe('value rows', () => {
  it('show shape, dtype, min, max and mean, and NaN/inf only when present', () => {
    expect(valueRows(value())).toEqual([
      ['value', '[-0.5, 1, 2]'],
      ['shape', '(3,)'],
      ['dtype', 'float64'],
      ['min', '-0.5'],
      ['max', '2'],
      ['mean', '0.8333']
    ]);
    expect(valueRows(value({ shape: [], nan: 2, inf: 1 })).slice(-2)).toEqual([
      ['NaN', '2'],
      ['inf', '1']
    ]);
    expect(valueRows(value({ error: 'no value for its input v' }))).toEqual([
      ['value', 'none: no value for its input v']
    ]);
    expect(valueRows(value({ shape: [], inf: 1, constant: true })).slice(-1)).toEqual([
      ['constant', 'computed from constants alone: not a first NaN/inf']
    ]);
  });

  it('format numbers short, integers exactly, and none as a dash', () => {
    expect([formatNumber(1e-20), formatNumber(3), formatNumber(null), formatNumber(2.5)]).toEqual([
      '1e-20',
      '3',
      '—',
      '2.5'
    ]);
  });

  it('leave out a malformed view of the values trait', () => {
    expect(Object.keys(valuesOf({ original: viewValues(), optimized: { view: 1 } }))).toEqual([
      'original'
    ]);
    expect(valuesOf('nonsense')).toEqual({});
  });
});

describe('the values toggle', () => {
  it('asks the kernel once, then shows the clicked node’s min and max', () => {
    const { model, el } = setup();
    const toggle = inPanel(el, 'original', '.tg-values-toggle');
    toggle.click();
    expect(toggle.getAttribute('aria-pressed')).toBe('true');
    expect(model.sent).toEqual([{ type: 'values', view: 'original' }]);
    expect(inPanel(el, 'original', '.tg-values-status').textContent).toBe('computing values…');
    model.set('values', { original: viewValues() });
    click(inPanel(el, 'original', '#tg-x ellipse'));
    expect(inspectorValues(el, 'original')).toEqual([
      ['value', '[0.5, 2, 3]'],
      ['shape', '(3,)'],
      ['dtype', 'float64'],
      ['min', '0.5'],
      ['max', '3'],
      ['mean', '1.833']
    ]);
    expect(inPanel(el, 'original', '.tg-values-title').textContent).toBe(
      "Value on the cell's inputs"
    );
    toggle.click();
    toggle.click();
    expect(model.sent).toHaveLength(1); // computed once per view
    toggle.click();
    expect(inspectorValues(el, 'original')).toEqual([]);
  });

  it('shows the kernel’s error as text', () => {
    const { model, el } = setup();
    inPanel(el, 'original', '.tg-values-toggle').click();
    model.set('values', { original: viewValues({ error: NASTY, nodes: {} }) });
    const status = inPanel(el, 'original', '.tg-values-status');
    expect(status.textContent).toBe(NASTY);
    expect(status.querySelector('img')).toBeNull();
    expect(inPanel(el, 'original', '.tg-nonfinite').hasAttribute('disabled')).toBe(true);
  });
});

describe('the first non-finite button', () => {
  it('selects and outlines the node, and says which inputs were finite', () => {
    const { model, el } = setup();
    inPanel(el, 'original', '.tg-nonfinite').click(); // before the values arrived
    expect(model.sent).toEqual([{ type: 'values', view: 'original' }]);
    model.set('values', { original: viewValues() });
    const mul = inPanel(el, 'original', '#tg-mul');
    expect(mul.classList.contains('tg-selected')).toBe(true);
    expect(mul.classList.contains('tg-nonfinite-node')).toBe(true);
    expect(inPanel(el, 'original', '.tg-inspector-title').textContent).toBe('Mul');
    expect(inPanel(el, 'original', '.tg-values-status').textContent).toBe(
      "values on the cell's inputs; Mul is the first node with a non-finite value (1 NaN); " +
        'its input x was finite'
    );
  });

  it('is off when every value is finite', () => {
    const { model, el } = setup();
    inPanel(el, 'original', '.tg-values-toggle').click();
    model.set('values', { original: viewValues({ first_nonfinite: null }) });
    expect(inPanel(el, 'original', '.tg-nonfinite').hasAttribute('disabled')).toBe(true);
    expect(inPanel(el, 'original', '.tg-values-status').textContent).toBe(
      "values on the cell's inputs; every value is finite"
    );
  });
});

describe('what the rewrites did to the numbers', () => {
  const reading =
    'w: the rewrites changed the result: as written [0, 1e-10], optimized [1e-20, 1e-10] ' +
    '(largest absolute difference 8.27e-18, relative 1). The rewrite that changed it: local_log1p';

  it('compares on request in the Rewrites tab and names the rewrite', () => {
    const { model, el } = setup();
    el.querySelector<HTMLButtonElement>('.tg-tab[data-view="rewrites"]')!.click();
    inPanel(el, 'rewrites', '.tg-numbers-run').click();
    expect(model.sent).toEqual([{ type: 'values', view: 'optimized' }]);
    expect(inPanel(el, 'rewrites', '.tg-numbers .tg-values-status').textContent).toBe(
      'computing values…'
    );
    const diff = {
      output: 'w',
      original: value({ min: 0, preview: '[0, 1e-10]' }),
      optimized: value({ min: 1e-20, preview: '[1e-20, 1e-10]' }),
      abs_diff: 8.27e-18,
      rel_diff: 1,
      rewrites: ['local_log1p'],
      reading
    };
    model.set('values', { optimized: viewValues({ view: 'optimized', differences: [diff] }) });
    const items = Array.from(el.querySelectorAll('.tg-numbers li.tg-difference'));
    expect(items.map(li => li.textContent)).toEqual([reading]);
    expect(items[0].classList.contains('tg-changed')).toBe(true);
  });

  it('says when both agree', () => {
    const agree = 'w: the graph as written and the optimized graph agree within float tolerance';
    const box = numbersView(
      viewValues({
        differences: [
          {
            output: 'w',
            original: value(),
            optimized: value(),
            abs_diff: 0,
            rel_diff: 0,
            rewrites: [],
            reading: agree
          }
        ]
      }),
      true,
      () => undefined
    );
    expect(box.querySelector('li')!.textContent).toBe(agree);
    expect(box.querySelector('li')!.classList.contains('tg-changed')).toBe(false);
  });
});
