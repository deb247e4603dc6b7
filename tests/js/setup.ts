/** What jsdom lacks and Lumino's widgets touch when they load. */
if (typeof globalThis.DragEvent === 'undefined') {
  class DragEvent extends MouseEvent {}
  Object.assign(globalThis, { DragEvent });
}
