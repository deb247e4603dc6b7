/** A text dump the graph offers (StableHLO, debugprint...), shown as is. */
import { el, text } from './dom';

export function textView(content: string): HTMLDivElement {
  const box = el('div', 'tg-text');
  box.append(text('pre', '', content));
  return box;
}
