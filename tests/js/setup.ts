import * as webStreams from 'stream/web';
import * as nodeUtil from 'util';

/** What jsdom lacks and Lumino's widgets touch when they load. */
if (typeof globalThis.DragEvent === 'undefined') {
  class DragEvent extends MouseEvent {}
  Object.assign(globalThis, { DragEvent });
}

/** What jsdom lacks and the panel's packed replies need (Node has them). */
for (const [name, value] of Object.entries({
  ReadableStream: webStreams.ReadableStream,
  DecompressionStream: webStreams.DecompressionStream,
  TextDecoder: nodeUtil.TextDecoder
})) {
  if (!(name in globalThis)) {
    Object.assign(globalThis, { [name]: value });
  }
}
