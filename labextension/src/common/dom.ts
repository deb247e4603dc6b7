/**
 * The few DOM helpers every view uses. Text from the kernel only ever
 * reaches the page through textContent, never as markup.
 */

export function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  cls = ''
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  if (cls) {
    node.className = cls;
  }
  return node;
}

export function text<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  cls: string,
  content: string
): HTMLElementTagNameMap[K] {
  const node = el(tag, cls);
  node.textContent = content;
  return node;
}

export function button(
  label: string,
  cls: string,
  title: string,
  onClick: () => void
): HTMLButtonElement {
  const b = text('button', `tg-button ${cls}`, label);
  b.type = 'button';
  b.title = title;
  b.setAttribute('aria-label', title);
  b.addEventListener('click', onClick);
  return b;
}

/** Offer ``blob`` as a download named ``name``. */
export function save(name: string, blob: Blob): void {
  const a = document.createElement('a');
  a.href = URL.createObjectURL(blob);
  a.download = name;
  a.click();
  setTimeout(() => URL.revokeObjectURL(a.href), 1000);
}

/** `12.3 µs`, `4.56 ms`, `1.23 s`; a dash when there is no number. */
export function formatSeconds(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined || !isFinite(seconds)) {
    return '—';
  }
  const units: [number, string][] = [
    [1, 's'],
    [1e-3, 'ms'],
    [1e-6, 'µs'],
    [1e-9, 'ns']
  ];
  const [scale, unit] = units.find(([s]) => Math.abs(seconds) >= s) ?? [1e-9, 'ns'];
  const value = seconds / scale;
  const digits = value >= 100 ? 0 : value >= 10 ? 1 : 2;
  return `${value.toFixed(digits)} ${unit}`;
}
