/**
 * Text the kernel sends packed (`static.pack`: base64 of gzip), unpacked with
 * the browser's own `DecompressionStream`: the widget's big traits and the
 * panel's big replies.
 */

/** Base64 of gzip back to text. */
export async function unpack(packed: string): Promise<string> {
  const bytes = Uint8Array.from(atob(packed), c => c.charCodeAt(0));
  const stream = new ReadableStream<Uint8Array>({
    start(controller) {
      controller.enqueue(bytes);
      controller.close();
    }
  }).pipeThrough(new DecompressionStream('gzip'));
  const reader = stream.getReader();
  const decoder = new TextDecoder();
  let text = '';
  for (;;) {
    const { done, value } = await reader.read();
    if (done) {
      return text + decoder.decode();
    }
    text += decoder.decode(value, { stream: true });
  }
}
