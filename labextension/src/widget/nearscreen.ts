/**
 * Run All draws many widgets at once, most of them off screen; drawing each
 * as it comes near the screen leaves the page free to keep up with the
 * kernel's messages while cells run.
 */

/** Pixels beyond the visible part of the scroller that count as near. */
export const NEAR_PX = 600;

/**
 * Call `show` once, when `node` is on screen or within `margin` pixels of the
 * part of its scroller that is (at once where the browser cannot tell).
 * Returns a function that stops watching.
 */
export function whenNear(node: HTMLElement, show: () => void, margin = NEAR_PX): () => void {
  if (typeof IntersectionObserver === 'undefined') {
    show();
    return () => undefined;
  }
  let done = false;
  let observer: IntersectionObserver | null = null;
  // A margin on the viewport is clipped away by the notebook's own scroller,
  // so once the node is in the page it is watched against that scroller.
  const watch = (root: HTMLElement | null) => {
    observer?.disconnect();
    observer = new IntersectionObserver(
      entries => {
        if (done) {
          return;
        }
        if (entries.some(e => e.isIntersecting)) {
          done = true;
          observer?.disconnect();
          show();
          return;
        }
        const scroller = root ?? scrollerOf(node);
        if (scroller && scroller !== root) {
          watch(scroller);
        }
      },
      { root, rootMargin: `${margin}px` }
    );
    observer.observe(node);
  };
  watch(null);
  return () => {
    done = true;
    observer?.disconnect();
  };
}

function scrollerOf(node: HTMLElement): HTMLElement | null {
  for (let p = node.parentElement; p; p = p.parentElement) {
    const overflow = getComputedStyle(p).overflowY;
    if (overflow === 'auto' || overflow === 'scroll') {
      return p;
    }
  }
  return null;
}
