import { NEAR_PX, whenNear } from '../../../labextension/src/widget/nearscreen';

/** A stand-in IntersectionObserver the test calls back by hand. */
class Watcher {
  static made: Watcher[] = [];
  targets: Element[] = [];
  connected = true;

  constructor(
    readonly callback: IntersectionObserverCallback,
    readonly options: IntersectionObserverInit = {}
  ) {
    Watcher.made.push(this);
  }
  observe(target: Element) {
    this.targets.push(target);
  }
  disconnect() {
    this.connected = false;
  }
  /** The browser reports whether the target is within the root's margin. */
  report(isIntersecting: boolean) {
    this.callback([{ isIntersecting } as IntersectionObserverEntry], this as never);
  }
}

beforeEach(() => {
  Watcher.made = [];
  Object.assign(globalThis, { IntersectionObserver: Watcher });
});

afterEach(() => {
  delete (globalThis as { IntersectionObserver?: unknown }).IntersectionObserver;
  document.body.replaceChildren();
});

/** A node inside a scrolling box, as an output sits in the notebook's scroller. */
function inScroller() {
  const scroller = document.createElement('div');
  scroller.style.overflowY = 'auto';
  const node = document.createElement('div');
  scroller.append(node);
  document.body.append(scroller);
  return { scroller, node };
}

describe('whenNear', () => {
  it('shows at once where the browser cannot tell what is on screen', () => {
    delete (globalThis as { IntersectionObserver?: unknown }).IntersectionObserver;
    const show = jest.fn();
    whenNear(document.createElement('div'), show);
    expect(show).toHaveBeenCalledTimes(1);
  });

  it('waits while off screen, then shows once', () => {
    const { node } = inScroller();
    const show = jest.fn();
    whenNear(node, show);
    const [first] = Watcher.made;
    expect(first.targets).toEqual([node]);
    first.report(false);
    expect(show).not.toHaveBeenCalled();
    const watcher = Watcher.made[Watcher.made.length - 1];
    watcher.report(true);
    watcher.report(true);
    expect(show).toHaveBeenCalledTimes(1);
    expect(watcher.connected).toBe(false);
  });

  it('measures the margin from the scroller, which would clip a margin on the viewport', () => {
    const { scroller, node } = inScroller();
    whenNear(node, jest.fn());
    const [viewport] = Watcher.made;
    expect(viewport.options).toEqual({ root: null, rootMargin: `${NEAR_PX}px` });
    viewport.report(false);
    expect(Watcher.made).toHaveLength(2);
    expect(viewport.connected).toBe(false);
    expect(Watcher.made[1].options).toEqual({ root: scroller, rootMargin: `${NEAR_PX}px` });
    expect(Watcher.made[1].targets).toEqual([node]);
    Watcher.made[1].report(false); // still far: keeps the same watcher
    expect(Watcher.made).toHaveLength(2);
  });

  it('stops watching when the view goes away', () => {
    const { node } = inScroller();
    const show = jest.fn();
    const stop = whenNear(node, show);
    stop();
    Watcher.made[0].report(true);
    expect(show).not.toHaveBeenCalled();
    expect(Watcher.made[0].connected).toBe(false);
  });
});
