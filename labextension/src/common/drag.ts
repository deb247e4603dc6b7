/**
 * Drag to pan on a graph canvas: a press, then moves past a few pixels,
 * pan; a click that ends a drag selects nothing.
 */

const DRAG_PX = 3;

export interface IDragOptions {
  /** The primary button went down on the canvas. */
  onPress: () => void;
  /** The pointer moved by (dx, dy) screen pixels while dragging. */
  onMove: (dx: number, dy: number) => void;
  /** A click that was not the end of a drag. */
  onClick: (target: Element) => void;
}

export function listenDrag(canvas: HTMLElement, options: IDragOptions): void {
  let drag: { x: number; y: number; moved: boolean } | null = null;
  canvas.addEventListener('pointerdown', e => {
    if (e.button !== 0) {
      return;
    }
    options.onPress();
    drag = { x: e.clientX, y: e.clientY, moved: false };
  });
  canvas.addEventListener('pointermove', e => {
    const d = drag;
    if (!d) {
      return;
    }
    const dx = e.clientX - d.x;
    const dy = e.clientY - d.y;
    if (!d.moved && Math.hypot(dx, dy) < DRAG_PX) {
      return;
    }
    if (!d.moved) {
      d.moved = true;
      canvas.setPointerCapture?.(e.pointerId);
      canvas.classList.add('tg-dragging');
    }
    options.onMove(dx, dy);
    d.x = e.clientX;
    d.y = e.clientY;
  });
  const end = () => {
    canvas.classList.remove('tg-dragging');
    // the click that follows a drag must not select; clear after it fires
    setTimeout(() => (drag = null), 0);
  };
  canvas.addEventListener('pointerup', end);
  canvas.addEventListener('pointercancel', end);
  canvas.addEventListener('click', e => {
    if (drag?.moved) {
      return;
    }
    drag = null;
    options.onClick(e.target as Element);
  });
}
