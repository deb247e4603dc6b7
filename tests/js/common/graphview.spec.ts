import { GraphView } from '../../../labextension/src/common/graphview';
import { parseSvg } from '../../../labextension/src/common/viewbox';
import { NASTY, SVG_COLLAPSED, SVG_EXPANDED, graph } from '../fixtures';

function mounted(svg = SVG_COLLAPSED) {
  const calls = { expand: [] as string[], collapse: [] as string[] };
  const view = new GraphView({
    onExpand: id => calls.expand.push(id),
    onCollapse: id => calls.collapse.push(id)
  });
  document.body.append(view.element);
  view.setGraph(graph(), svg);
  return { view, calls, root: view.element };
}

function q<T extends Element = HTMLElement>(root: Element, sel: string): T {
  const found = root.querySelector<T>(sel);
  if (!found) {
    throw new Error(`no ${sel}`);
  }
  return found;
}

function click(target: Element) {
  target.dispatchEvent(new MouseEvent('click', { bubbles: true }));
}

afterEach(() => document.body.replaceChildren());

describe('GraphView mounting', () => {
  it('mounts the SVG with node groups addressable by id', () => {
    const { root, view } = mounted();
    expect(root.querySelectorAll('.tg-graph svg g.node')).toHaveLength(4);
    expect(view.elementFor('mul')?.id).toBe('tg-mul');
  });

  it('drops scripts and event attributes, and keeps names as text', () => {
    const { root } = mounted();
    expect(root.querySelector('script')).toBeNull();
    expect((window as unknown as { hacked?: boolean }).hacked).toBeUndefined();
    const label = q(root, '#tg-w text');
    expect(label.textContent).toBe(NASTY);
    expect(root.querySelector('img')).toBeNull();
  });

  it('rejects text that is not SVG', () => {
    expect(parseSvg('<html><body>hi</body></html>')).toBeNull();
    expect(parseSvg('<svg><g></svg')).toBeNull();
    expect(parseSvg('')).toBeNull();
  });

  it('maps hidden nodes to their collapsed subgraph', () => {
    const { view } = mounted();
    expect(view.elementFor('exp')?.id).toBe('tg-comp');
  });
});

describe('GraphView search', () => {
  it('highlights matches, steps through them and selects the current one', () => {
    const { root, view } = mounted();
    const input = q<HTMLInputElement>(root, '.tg-search');
    input.value = 'elemwise';
    input.dispatchEvent(new Event('input'));
    expect(q(root, '.tg-search-status').textContent).toBe('0 / 3');
    // add and exp are inside the collapsed Composite: it stands for them
    expect(Array.from(root.querySelectorAll('g.tg-match')).map(g => g.id)).toEqual([
      'tg-mul',
      'tg-comp'
    ]);
    input.dispatchEvent(new KeyboardEvent('keydown', { key: 'Enter' }));
    expect(view.selection).toBe('mul');
    expect(q(root, 'g.tg-current').id).toBe('tg-mul');
    input.dispatchEvent(new KeyboardEvent('keydown', { key: 'Enter' }));
    expect(view.selection).toBe('add');
    expect(q(root, 'g.tg-current').id).toBe('tg-comp');
    click(q(root, '.tg-prev'));
    expect(view.selection).toBe('mul');
    expect(q(root, '.tg-search-status').textContent).toBe('1 / 3');
  });

  it('clears on Escape', () => {
    const { root, view } = mounted();
    view.search('mul');
    q(root, '.tg-search').dispatchEvent(new KeyboardEvent('keydown', { key: 'Escape' }));
    expect(root.querySelectorAll('g.tg-match')).toHaveLength(0);
  });
});

describe('GraphView inspector and expand/collapse', () => {
  it('shows every attribute of a clicked node as text', () => {
    const { root } = mounted();
    click(q(root, '#tg-w text'));
    const inspector = q(root, '.tg-inspector');
    expect(q(inspector, 'h4').textContent).toBe(NASTY);
    expect(inspector.querySelector('img')).toBeNull();
    const terms = Array.from(inspector.querySelectorAll('dt')).map(d => d.textContent);
    expect(terms).toEqual(expect.arrayContaining(['kind', 'name', 'dtype', 'used by', 'id']));
    expect(q(root, '#tg-w').classList.contains('tg-selected')).toBe(true);
  });

  it('shows the source line of an op', () => {
    const { root } = mounted();
    click(q(root, '#tg-mul ellipse'));
    expect(q(root, '.tg-inspector').textContent).toContain('line 3: y = x * w');
  });

  it('asks to expand a clicked collapsed subgraph and to collapse a cluster', () => {
    const { root, view, calls } = mounted();
    click(q(root, '#tg-comp text'));
    expect(calls.expand).toEqual(['comp']);
    click(q(root, '.tg-expand'));
    expect(calls.expand).toEqual(['comp', 'comp']);
    view.setGraph(graph(), SVG_EXPANDED);
    expect(root.querySelector('#tg-add')).not.toBeNull();
    click(q(root, '#tg-comp path'));
    click(q(root, '.tg-collapse'));
    expect(calls.collapse).toEqual(['comp']);
  });

  it('clears the selection on a background click', () => {
    const { root, view } = mounted();
    view.select('mul');
    click(q(root, '.tg-graph svg'));
    expect(view.selection).toBeNull();
    expect(q(root, '.tg-inspector').textContent).toContain('Click a node');
  });
});

describe('GraphView pan and zoom', () => {
  const box = (root: Element) =>
    q(root, '.tg-graph svg').getAttribute('viewBox')!.split(' ').map(Number);

  it('zooms with buttons and wheel, fits back, pans by dragging', () => {
    const { root } = mounted();
    const fitted = box(root);
    click(q(root, '.tg-zoom-in'));
    expect(box(root)[2]).toBeCloseTo(fitted[2] / 1.25);
    q(root, '.tg-graph').dispatchEvent(
      new WheelEvent('wheel', { deltaY: 200, cancelable: true, ctrlKey: true })
    );
    expect(box(root)[2]).toBeGreaterThan(fitted[2] / 1.25);
    click(q(root, '.tg-fit'));
    expect(box(root)).toEqual(fitted);
    const canvas = q(root, '.tg-graph');
    canvas.dispatchEvent(new MouseEvent('pointerdown', { clientX: 50, clientY: 50, button: 0 }));
    canvas.dispatchEvent(new MouseEvent('pointermove', { clientX: 80, clientY: 50 }));
    canvas.dispatchEvent(new MouseEvent('pointerup', { clientX: 80, clientY: 50 }));
    expect(box(root)[0]).toBeLessThan(fitted[0]);
  });

  /** A wheel turn over the canvas; returns whether the view kept it from the page. */
  const wheel = (root: Element, over: WheelEventInit = {}): boolean => {
    const event = new WheelEvent('wheel', { deltaY: -200, cancelable: true, ...over });
    q(root, '.tg-graph').dispatchEvent(event);
    return event.defaultPrevented;
  };

  it('lets the wheel scroll the page, and says once per page how to zoom', () => {
    const { root } = mounted();
    const fitted = box(root);
    const hint = q(root, '.tg-wheel-hint');
    expect(hint.hidden).toBe(true);
    expect(wheel(root)).toBe(false);
    expect(box(root)).toEqual(fitted);
    expect(hint.hidden).toBe(false);
    expect(hint.textContent).toBe('Ctrl + wheel zooms the graph (or click it first)');
    const other = new GraphView();
    document.body.append(other.element);
    other.setGraph(graph(), SVG_COLLAPSED);
    expect(wheel(other.element)).toBe(false);
    expect(q(other.element, '.tg-wheel-hint').hidden).toBe(true);
  });

  it('zooms with Ctrl or Cmd + wheel (and a pinch, which sends Ctrl)', () => {
    const { root } = mounted();
    const fitted = box(root);
    expect(wheel(root, { ctrlKey: true })).toBe(true);
    const zoomed = box(root);
    expect(zoomed[2]).toBeLessThan(fitted[2]);
    expect(wheel(root, { metaKey: true })).toBe(true);
    expect(box(root)[2]).toBeLessThan(zoomed[2]);
  });

  it('zooms with the wheel after a click into the graph, until the pointer leaves or Esc', () => {
    const { root, view } = mounted();
    const canvas = q(root, '.tg-graph');
    const fitted = box(root);
    canvas.dispatchEvent(new MouseEvent('pointerdown', { clientX: 5, clientY: 5, button: 0 }));
    expect(view.wheelZooms).toBe(true);
    expect(wheel(root)).toBe(true);
    const zoomed = box(root);
    expect(zoomed[2]).toBeLessThan(fitted[2]);
    canvas.dispatchEvent(new MouseEvent('pointerleave'));
    expect(wheel(root)).toBe(false);
    expect(box(root)).toEqual(zoomed);
    canvas.dispatchEvent(new MouseEvent('pointerdown', { clientX: 5, clientY: 5, button: 0 }));
    canvas.dispatchEvent(new KeyboardEvent('keydown', { key: 'Escape' }));
    expect(wheel(root)).toBe(false);
    expect(box(root)).toEqual(zoomed);
  });

  it('zooms with the wheel at once in a full-size view', () => {
    const view = new GraphView({ wheelZooms: true });
    document.body.append(view.element);
    view.setGraph(graph(), SVG_COLLAPSED);
    const fitted = box(view.element);
    expect(wheel(view.element)).toBe(true);
    expect(box(view.element)[2]).toBeLessThan(fitted[2]);
  });

  it('pans and zooms from the keyboard', () => {
    const { root } = mounted();
    const canvas = q(root, '.tg-graph');
    const start = box(root);
    canvas.dispatchEvent(new KeyboardEvent('keydown', { key: 'ArrowRight' }));
    expect(box(root)[0]).toBeGreaterThan(start[0]);
    canvas.dispatchEvent(new KeyboardEvent('keydown', { key: '+' }));
    expect(box(root)[2]).toBeLessThan(start[2]);
    canvas.dispatchEvent(new KeyboardEvent('keydown', { key: '0' }));
    expect(box(root)).toEqual(start);
  });
});

describe('GraphView highlight and export', () => {
  it('highlights ids (through collapsed boxes) and clears them', () => {
    const { root, view } = mounted();
    view.highlight(['x', 'exp'], 'tg-flash');
    expect(Array.from(root.querySelectorAll('.tg-flash')).map(g => g.id)).toEqual([
      'tg-x',
      'tg-comp'
    ]);
    view.clearHighlight('tg-flash');
    expect(root.querySelectorAll('.tg-flash')).toHaveLength(0);
  });

  it('exports the picture as SVG text', () => {
    const { view } = mounted();
    const svg = view.getSvg();
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg).toContain('id="tg-mul"');
    expect(svg).not.toContain('<script');
  });

  it('says so when a view has no picture', () => {
    const { root, view } = mounted();
    view.setGraph(graph(), '', { error: 'Original: too big' });
    expect(q(root, '.tg-empty').textContent).toBe('Original: too big');
  });
});

it('says so when a view is empty', () => {
  const view = new GraphView();
  view.setGraph({ nodes: [], edges: [], subgraphs: [], notes: [] }, SVG_COLLAPSED);
  expect(view.element.querySelector('svg')).toBeNull();
  expect(view.element.querySelector('.tg-empty')!.textContent).toBe('Nothing in this view.');
});

describe('GraphView in big graphs', () => {
  function withPath() {
    const opened: string[][] = [];
    const view = new GraphView({ onOpenPath: ids => opened.push(ids) });
    document.body.append(view.element);
    view.setGraph(graph(), SVG_COLLAPSED);
    return { view, opened, root: view.element };
  }

  it('opens the closed groups around a search match the user moves to', () => {
    const { view, opened, root } = withPath();
    expect(view.search('exp')).toBe(1);
    // the match is inside the closed Composite: its box stands for it
    expect(q(root, '#tg-comp').classList.contains('tg-match')).toBe(true);
    view.next();
    expect(opened).toEqual([['comp']]);
    // the opened picture shows the match itself, current and selected
    view.setGraph(graph(), SVG_EXPANDED);
    expect(q(root, '#tg-exp').classList.contains('tg-current')).toBe(true);
    expect(view.selection).toBe('exp');
    expect(q(root, '.tg-search-status').textContent).toBe('1 / 1');
    // a match already in sight opens nothing
    view.search('mul');
    view.next();
    expect(opened).toHaveLength(1);
  });

  it('shows where the selection sits as a breadcrumb whose crumbs select their group', () => {
    const { view, root } = withPath();
    view.select('exp');
    const crumbs = Array.from(root.querySelectorAll<HTMLButtonElement>('.tg-crumb'));
    expect(crumbs.map(c => c.textContent)).toEqual(['Composite', 'Exp']);
    click(crumbs[0]);
    expect(view.selection).toBe('comp');
    expect(Array.from(root.querySelectorAll('.tg-crumb')).map(c => c.textContent)).toEqual([
      'Composite'
    ]);
    view.select(null);
    expect(root.querySelectorAll('.tg-crumb')).toHaveLength(0);
  });

  it('hides small text when zoomed out past reading', () => {
    const { view, root } = withPath();
    const canvas = q(root, '.tg-graph');
    view.setViewBox({ x: 0, y: 0, w: 20000, h: 30000 });
    expect(canvas.classList.contains('tg-far')).toBe(true);
    view.setViewBox({ x: 0, y: 0, w: 20, h: 30 });
    expect(canvas.classList.contains('tg-far')).toBe(false);
  });
});

describe('GraphView focus', () => {
  const edges = ['e0', 'e2', 'e3']
    .map(e => `<g id="tg&#45;${e}" class="edge tg&#45;edge"><path d="M0,0"/></g>`)
    .join('');
  const svg = SVG_EXPANDED.replace('</g></svg>', `${edges}</g></svg>`);
  const classes = (root: Element, id: string) => q(root, `[id="tg-${id}"]`).getAttribute('class');

  it('shows an open group alone, its border edges kept, until Whole graph or Esc', () => {
    const { root, view } = mounted(svg);
    view.select('comp');
    click(q(root, '.tg-inspector .tg-focus'));
    expect(q(root, '.tg-graph').classList.contains('tg-focused')).toBe(true);
    // x and mul lie outside; add and exp inside; mul -> add crosses the border
    const outside = ['x', 'mul', 'add', 'exp', 'e0', 'e2', 'e3', 'comp'].filter(id =>
      classes(root, id)?.includes('tg-outside')
    );
    expect(outside).toEqual(['x', 'mul', 'e0']);
    expect(classes(root, 'e2')).toContain('tg-border');
    expect(classes(root, 'e3')).not.toContain('tg-border');
    expect(Array.from(root.querySelectorAll('.tg-crumb')).map(c => c.textContent)).toEqual([
      'Whole graph',
      'Composite'
    ]);
    expect(q(root, '.tg-inspector .tg-focus').textContent).toBe('Whole graph');
    // the download holds what is shown
    expect(view.getSvg()).not.toContain('tg-x');
    expect(view.getSvg()).toContain('tg-exp');

    q(root, '.tg-graph').dispatchEvent(new KeyboardEvent('keydown', { key: 'Escape' }));
    expect(q(root, '.tg-graph').classList.contains('tg-focused')).toBe(false);
    expect(root.querySelectorAll('.tg-outside')).toHaveLength(0);
    expect(q(root, '.tg-crumb').textContent).toBe('Composite');
  });

  it('opens a closed group first, and focuses it in the opened picture', () => {
    const { root, view, calls } = mounted();
    view.select('comp');
    click(q(root, '.tg-inspector .tg-focus'));
    expect(calls.expand).toEqual(['comp']);
    expect(root.querySelectorAll('.tg-outside')).toHaveLength(0);
    view.setGraph(graph(), svg); // the kernel's picture with comp open
    expect(classes(root, 'x')).toContain('tg-outside');
    click(q(root, '.tg-crumb.tg-unfocus'));
    expect(root.querySelectorAll('.tg-outside')).toHaveLength(0);
  });
});
