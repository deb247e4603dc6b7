/**
 * The breadcrumb of a big graph: the groups around what is selected,
 * outermost first (forward › loss › block ×24 › block [3] › rms › mul), each
 * a button that selects and shows that group. Labels reach the page as text.
 */
import { button, el } from './dom';
import { GraphModel } from './graphmodel';

/** The crumbs for ``id`` (none when nothing is selected). */
export function crumbs(
  model: GraphModel,
  id: string | null,
  onPick: (id: string) => void
): HTMLElement[] {
  if (!id) {
    return [];
  }
  const path = model.ancestry(id).reverse();
  const out: HTMLElement[] = [];
  path.forEach((step, i) => {
    if (i > 0) {
      out.push(el('span', 'tg-crumb-sep'));
    }
    const label = model.subgraph(step)?.label ?? model.node(step)?.label ?? step;
    const crumb = button(label, 'tg-crumb', `Show ${label}`, () => onPick(step));
    crumb.dataset.id = step;
    out.push(crumb);
  });
  return out;
}
