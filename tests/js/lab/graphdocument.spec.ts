/**
 * The panel's full-size document against a fake kernel link: the replies
 * are what the kernel's comm sends, the requests are recorded.
 */
import { GraphDocument } from '../../../labextension/src/lab/graphdocument';
import { GraphJSON } from '../../../labextension/src/common/graph';
import { IKernelLink, ReplyOf } from '../../../labextension/src/lab/kernellink';
import {
  GraphReply,
  PanelReply,
  PanelRequest,
  StepsReply
} from '../../../labextension/src/common/messages';
import { PanelModel } from '../../../labextension/src/lab/panelmodel';
import { SVG_COLLAPSED, bundle, entry, graph, offers, viewValues } from '../fixtures';

/** The optimized graph: `mul` became a sigmoid, the rest is as written. */
function optimizedGraph(): GraphJSON {
  const g = graph();
  g.nodes[2] = { ...g.nodes[2], op: 'Elemwise{sigmoid}' };
  return g;
}

/** The whole bundle the kernel holds, the stepper's snapshots included. */
function fullBundle() {
  const b = bundle();
  b.views.optimized = optimizedGraph();
  b.rewrite_start = { optimized: graph() };
  b.rewrites = b.rewrites.map(r =>
    r.view === 'optimized'
      ? { ...r, graph: graph(), removed: r.name === 'local_exp_over_1_plus_exp' ? ['mul'] : [] }
      : r
  );
  return b;
}

/** The `get` reply: the bundle without snapshots, and how many each view has. */
function graphReply(id: string, pending: GraphReply['pending'] = {}): GraphReply {
  const b = fullBundle();
  const steps = { optimized: b.rewrites.filter(r => r.view === 'optimized' && r.graph).length };
  b.rewrites = b.rewrites.map(r => ({ ...r, graph: null }));
  b.rewrite_start = {};
  for (const view of Object.keys(pending)) {
    delete b.views[view];
  }
  const picture = { svg: SVG_COLLAPSED, meta: { engine: 'dot' } };
  const layouts: GraphReply['layouts'] = {};
  for (const view of Object.keys(b.views)) {
    layouts[view] = picture;
  }
  return {
    type: 'graph',
    id,
    bundle: { ...b },
    offers: offers({ stepper: true, views: offers().views.slice(0, 3) }),
    layouts,
    pending,
    steps
  };
}

function stepsReply(id: string, view: string): StepsReply {
  const b = fullBundle();
  const snapshots: StepsReply['snapshots'] = {};
  for (const r of b.rewrites) {
    if (r.view === view && r.graph) {
      snapshots[String(r.step)] = { ...r.graph };
    }
  }
  const start = b.rewrite_start?.[view];
  return { type: 'steps', id, view, start: start ? { ...start } : null, snapshots };
}

class FakeLink implements IKernelLink {
  readonly model = new PanelModel();
  requests: PanelRequest[] = [];
  pending: GraphReply['pending'] = {};
  /** Replies to `build` wait here until the test lets them go. */
  builds: (() => void)[] = [];
  /** Replies to `values` wait here too, as the kernel computes them after the cell. */
  values: (() => void)[] = [];

  request<T extends PanelReply['type']>(data: PanelRequest, replyType: T): Promise<ReplyOf<T>> {
    this.requests.push(data);
    return new Promise(resolve => {
      const answer = (reply: PanelReply) => {
        if (reply.type === replyType) {
          resolve(reply as ReplyOf<T>);
        }
      };
      if (data.type === 'get') {
        answer(graphReply(data.id, data.id === 'g1' ? this.pending : {}));
      } else if (data.type === 'steps') {
        answer(stepsReply(data.id, data.view));
      } else if (data.type === 'build') {
        this.builds.push(() => {
          delete this.pending[data.view];
          answer(graphReply(data.id, this.pending));
        });
      } else if (data.type === 'values') {
        this.values.push(() =>
          answer({
            type: 'values',
            id: data.id,
            view: data.view,
            values: viewValues({ view: data.view })
          })
        );
      } else if (data.type === 'layout') {
        answer({
          type: 'layout',
          id: data.id,
          view: data.view,
          step: data.step ?? null,
          svg: SVG_COLLAPSED
        });
      } else if (data.type === 'dot') {
        answer({
          type: 'dot',
          id: data.id,
          view: data.view,
          step: null,
          dot: `digraph "${data.view}" {}`
        });
      }
    });
  }
}

async function open(link = new FakeLink()) {
  link.model.setKernel('k1');
  link.model.handle({
    type: 'entries',
    entries: [entry('g1', 'f'), entry('g2', 'loss', { framework: 'tinyexpr', cell: 9 })],
    dropped: 0
  });
  const goTo: [number, number][] = [];
  const doc = new GraphDocument(link, link.model.entries[0], (cell, line) =>
    goTo.push([cell, line])
  );
  document.body.append(doc.node);
  await doc.loaded;
  return { doc, link, goTo, node: doc.node };
}

const flush = () => new Promise(resolve => setTimeout(resolve, 0));
const tab = (node: Element, name: string) =>
  node.querySelector<HTMLButtonElement>(`.tg-tab[data-view="${name}"]`)!;

afterEach(() => {
  document.body.replaceChildren();
  jest.restoreAllMocks();
});

describe('GraphDocument', () => {
  it('has the offered views, the stepper and compare as tabs', async () => {
    const { node } = await open();
    const tabs = Array.from(node.querySelectorAll<HTMLElement>('.tg-tab')).map(t => [
      t.dataset.view,
      t.textContent
    ]);
    expect(tabs).toEqual([
      ['original', 'Original'],
      ['optimized', 'Optimized'],
      ['gradient', 'Gradient'],
      ['steps', 'Rewrite steps'],
      ['compare', 'Compare']
    ]);
    expect(tab(node, 'original').getAttribute('aria-selected')).toBe('true');
    expect(node.querySelectorAll('.tg-graph svg g.node')).toHaveLength(4);
  });

  it('shows a pending view with its task, asks to build it once, then draws it', async () => {
    jest.spyOn(Date, 'now').mockReturnValue(2_000_000);
    const link = new FakeLink();
    link.pending = { gradient: { task: 'taking the gradient', started: null } };
    const { node, doc } = await open(link);
    expect(tab(node, 'gradient').classList).toContain('tg-tab-pending');
    tab(node, 'gradient').click();
    const text = () => node.querySelector('.tg-pending-text')?.textContent;
    // asked just now: the time counts from the request
    expect(text()).toBe('taking the gradient… 0.0 s');
    expect(node.querySelector<HTMLElement>('.tg-view')!.hidden).toBe(true);
    tab(node, 'original').click();
    tab(node, 'gradient').click();
    expect(link.requests.filter(r => r.type === 'build')).toEqual([
      { type: 'build', id: 'g1', view: 'gradient' }
    ]);
    link.builds[0]();
    await flush();
    expect(text()).toBeUndefined();
    expect(doc.mode).toBe('gradient');
    expect(tab(node, 'gradient').classList).not.toContain('tg-tab-pending');
    expect(node.querySelector<HTMLElement>('.tg-view')!.hidden).toBe(false);
    expect(node.querySelectorAll('.tg-graph svg g.node')).toHaveLength(4);
  });

  it('steps through the rewrites of the view that has them', async () => {
    const { node, link } = await open();
    const asked = () => link.requests.filter(r => r.type === 'steps');
    expect(asked()).toEqual([]); // the first paint goes without the snapshots
    tab(node, 'steps').click();
    await flush();
    const label = () => node.querySelector('.tg-step-label')!.textContent;
    expect(label()).toBe('Step 0 of 3: the graph before any rewrite');
    node.querySelector<HTMLButtonElement>('.tg-step-next')!.click();
    await flush();
    expect(label()).toBe('Step 1 of 3: local_log1p replaced local_log1p(x) with y');
    // exp, which the rewrite created, is inside the collapsed Composite
    const created = () => Array.from(node.querySelectorAll('g.tg-step-created')).map(g => g.id);
    expect(created()).toEqual(['tg-comp']);
    node.querySelector<HTMLButtonElement>('.tg-step-next')!.click();
    await flush();
    expect(label()).toBe('Step 2 of 3: MergeOptimizer replaced MergeOptimizer(x) with y');
    expect(created()).toEqual([]);
    // the next step removes mul: it is marked before it goes
    expect(Array.from(node.querySelectorAll('g.tg-step-removed')).map(g => g.id)).toEqual([
      'tg-mul'
    ]);
    node.querySelector<HTMLButtonElement>('.tg-step-prev')!.click();
    await flush();
    expect(label()).toMatch(/^Step 1 of 3/);
    const steps = link.requests.filter(r => r.type === 'layout').map(r => 'step' in r && r.step);
    expect(steps).toEqual([0, 1, 2, 1]);
    tab(node, 'original').click();
    tab(node, 'steps').click();
    await flush();
    expect(label()).toBe('Step 0 of 3: the graph before any rewrite');
    expect(asked()).toEqual([{ type: 'steps', id: 'g1', view: 'optimized' }]); // once
  });

  it('compares the original with the optimized view, node by node', async () => {
    const { node } = await open();
    tab(node, 'compare').click();
    await flush();
    expect(node.querySelectorAll('.tg-view')).toHaveLength(2);
    expect(node.querySelector('.tg-compare-summary')!.textContent).toBe(
      '4 nodes paired, 1 only on the left, 1 only on the right'
    );
    const only = (side: string) =>
      Array.from(node.querySelectorAll(`${side} g.tg-only`)).map(g => g.id);
    expect(only('.tg-view:not(.tg-compare-right)')).toEqual(['tg-mul']);
    expect(only('.tg-compare-right')).toEqual(['tg-mul']);
    // selecting x on the left selects its partner on the right
    node
      .querySelector('.tg-view:not(.tg-compare-right) #tg-x text')!
      .dispatchEvent(new MouseEvent('click', { bubbles: true }));
    expect(node.querySelector('.tg-compare-right g.tg-selected')!.id).toBe('tg-x');
  });

  it('compares with another graph of the kernel, whatever its framework', async () => {
    const { node, link } = await open();
    tab(node, 'compare').click();
    await flush();
    const pick = node.querySelectorAll<HTMLSelectElement>('.tg-compare-pick')[1];
    const titles = Array.from(pick.options).map(o => o.textContent);
    expect(titles).toEqual([
      'f: Original',
      'f: Optimized',
      'f: Gradient',
      'loss [9]: Original',
      'loss [9]: Optimized'
    ]);
    pick.value = '3';
    pick.dispatchEvent(new Event('change'));
    await flush();
    expect(link.requests[link.requests.length - 1]).toEqual({ type: 'get', id: 'g2' });
    expect(node.querySelector('.tg-compare-summary')!.textContent).toBe(
      '5 nodes paired, 0 only on the left, 0 only on the right'
    );
  });

  it('goes to the cell line of a selected node', async () => {
    const { node, goTo } = await open();
    node.querySelector('#tg-mul text')!.dispatchEvent(new MouseEvent('click', { bubbles: true }));
    const go = node.querySelector<HTMLButtonElement>('.tg-goto')!;
    expect(go.textContent).toBe('Go to cell [3], line 3');
    go.click();
    expect(goTo).toEqual([[3, 3]]);
  });
});

describe('values on the graph', () => {
  const inspectorValues = (node: Element) =>
    Array.from(node.querySelectorAll('.tg-inspector .tg-values dt')).map(dt => [
      dt.textContent,
      dt.nextElementSibling?.textContent
    ]);

  it('asks the kernel once for the view shown, then shows a node’s min and max', async () => {
    const { node, link } = await open();
    const toggle = node.querySelector<HTMLButtonElement>('.tg-values-toggle')!;
    toggle.click();
    expect(toggle.getAttribute('aria-pressed')).toBe('true');
    expect(link.requests.filter(r => r.type === 'values')).toEqual([
      { type: 'values', id: 'g1', view: 'original' }
    ]);
    expect(node.querySelector('.tg-values-status')!.textContent).toBe('computing values…');
    link.values.shift()!();
    await flush();
    node.querySelector('#tg-x ellipse')!.dispatchEvent(new MouseEvent('click', { bubbles: true }));
    expect(inspectorValues(node)).toEqual([
      ['value', '[0.5, 2, 3]'],
      ['shape', '(3,)'],
      ['dtype', 'float64'],
      ['min', '0.5'],
      ['max', '3'],
      ['mean', '1.833']
    ]);
    toggle.click();
    toggle.click();
    expect(link.requests.filter(r => r.type === 'values')).toHaveLength(1);
    // Another view has values of its own, asked for when it is shown.
    tab(node, 'optimized').click();
    expect(link.requests.filter(r => r.type === 'values').pop()).toEqual({
      type: 'values',
      id: 'g1',
      view: 'optimized'
    });
    expect(inspectorValues(node)).toEqual([]);
  });

  it('selects and outlines the first non-finite node, asked before the values came', async () => {
    const { node, link } = await open();
    node.querySelector<HTMLButtonElement>('.tg-nonfinite')!.click();
    expect(link.requests.filter(r => r.type === 'values')).toEqual([
      { type: 'values', id: 'g1', view: 'original' }
    ]);
    link.values.shift()!();
    await flush();
    const mul = node.querySelector('#tg-mul')!;
    expect(mul.classList.contains('tg-selected')).toBe(true);
    expect(mul.classList.contains('tg-nonfinite-node')).toBe(true);
    expect(node.querySelector('.tg-inspector-title')!.textContent).toBe('Mul');
    expect(node.querySelector('.tg-values-status')!.textContent).toBe(
      "values on the cell's inputs; Mul is the first node with a non-finite value (1 NaN); " +
        'its input x was finite'
    );
    expect(node.querySelector('.tg-goto')!.textContent).toBe('Go to cell [3], line 3');
  });

  it('has no values bar on the rewrite stepper', async () => {
    const { node } = await open();
    expect(node.querySelector<HTMLElement>('.tg-values-bar')!.hidden).toBe(false);
    tab(node, 'steps').click();
    expect(node.querySelector<HTMLElement>('.tg-values-bar')!.hidden).toBe(true);
  });
});

describe('export', () => {
  /** Downloads the document starts: file name and the blob's text. */
  function downloads() {
    const blobs = new Map<string, Blob>();
    const saved: { name: string; blob: Blob }[] = [];
    let n = 0;
    URL.createObjectURL = (blob: Blob) => {
      const url = `blob:test/${n++}`;
      blobs.set(url, blob);
      return url;
    };
    URL.revokeObjectURL = () => undefined;
    jest.spyOn(HTMLAnchorElement.prototype, 'click').mockImplementation(function (
      this: HTMLAnchorElement
    ) {
      saved.push({ name: this.download, blob: blobs.get(this.href)! });
    });
    return { saved, blobs };
  }

  function read(blob: Blob): Promise<string> {
    return new Promise(resolve => {
      const reader = new FileReader();
      reader.onload = () => resolve(String(reader.result));
      reader.readAsText(blob);
    });
  }

  const exportAs = async (node: HTMLElement, format: string) => {
    node.querySelector<HTMLButtonElement>(`.tg-export[data-format=${format}]`)!.click();
    await flush();
    await flush();
  };

  it('saves the picture on screen as SVG', async () => {
    const { saved } = downloads();
    const { node } = await open();
    await exportAs(node, 'svg');
    expect(saved.map(s => [s.name, s.blob.type])).toEqual([['f-original.svg', 'image/svg+xml']]);
    const svg = new DOMParser().parseFromString(await read(saved[0].blob), 'image/svg+xml');
    expect(Array.from(svg.querySelectorAll('g.node')).map(g => g.id)).toEqual([
      'tg-x',
      'tg-w',
      'tg-mul',
      'tg-comp'
    ]);
    expect(svg.querySelector('script')).toBeNull();
  });

  it('saves the view as the kernel writes it in DOT', async () => {
    const { saved } = downloads();
    const { node, link } = await open();
    tab(node, 'optimized').click();
    await exportAs(node, 'dot');
    expect(link.requests[link.requests.length - 1]).toEqual({
      type: 'dot',
      id: 'g1',
      view: 'optimized',
      expanded: []
    });
    expect(saved[0].name).toBe('f-optimized.dot');
    expect(await read(saved[0].blob)).toBe('digraph "optimized" {}');
  });

  it('saves the graph of the view in the tgraph format', async () => {
    const { saved } = downloads();
    const { node } = await open();
    tab(node, 'optimized').click();
    await exportAs(node, 'json');
    expect(saved[0].name).toBe('f-optimized.json');
    const data = JSON.parse(await read(saved[0].blob));
    expect(data).toEqual({ version: 1, target: 'f', view: 'optimized', graph: optimizedGraph() });
  });

  it('draws the SVG onto a canvas at twice its size for PNG', async () => {
    const { saved, blobs } = downloads();
    const drawn: { src: string; w: number; h: number }[] = [];
    class FakeImage {
      width = 200;
      height = 300;
      onload: () => void = () => undefined;
      onerror: () => void = () => undefined;
      private _src = '';
      get src() {
        return this._src;
      }
      set src(url: string) {
        this._src = url;
        setTimeout(() => this.onload(), 0);
      }
    }
    const RealImage = window.Image;
    Object.defineProperty(window, 'Image', { value: FakeImage, configurable: true });
    const png = new Blob(['\x89PNG'], { type: 'image/png' });
    let canvasSize: number[] = [];
    jest.spyOn(HTMLCanvasElement.prototype, 'getContext').mockImplementation(function (
      this: HTMLCanvasElement
    ) {
      canvasSize = [this.width, this.height];
      return {
        fillStyle: '',
        fillRect: () => undefined,
        drawImage: (image: FakeImage, _x: number, _y: number, w: number, h: number) =>
          drawn.push({ src: image.src, w, h })
      } as unknown as RenderingContext;
    });
    jest.spyOn(HTMLCanvasElement.prototype, 'toBlob').mockImplementation(callback => callback(png));
    const { node } = await open();
    await exportAs(node, 'png');
    await flush();
    expect(saved.map(s => s.name)).toEqual(['f-original.png']);
    expect(saved[0].blob).toBe(png);
    expect(canvasSize).toEqual([400, 600]);
    expect(drawn).toHaveLength(1);
    expect(drawn[0].w).toBe(400);
    // what was drawn is the picture on screen
    const source = await read(blobs.get(drawn[0].src)!);
    expect(source).toContain('id="tg-comp"');
    expect(blobs.get(drawn[0].src)!.type).toBe('image/svg+xml');
    Object.defineProperty(window, 'Image', { value: RealImage, configurable: true });
  });
});
