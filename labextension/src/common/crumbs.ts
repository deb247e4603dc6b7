/**
 * The breadcrumb of a big graph: the groups around what is selected,
 * outermost first (forward › loss › block ×24 › block [3] › rms › mul), each
 * a button that selects and shows that group. Labels reach the page as text.
 */
import { button, el } from './dom';
import { leaveCrumb } from './focus';
import { GraphModel } from './graphmodel';

/**
 * The crumbs for ``id`` (none when nothing is selected), after a way back
 * to the whole graph when group ``focus`` is shown alone.
 */
export function crumbs(
  model: GraphModel,
  id: string | null,
  onPick: (id: string) => void,
  focus: string | null = null,
  onLeave: () => void = () => undefined
): HTMLElement[] {
  const back = focus ? [leaveCrumb(model.subgraph(focus)?.label ?? focus, onLeave)] : [];
  if (!id) {
    return back;
  }
  const path = model.ancestry(id).reverse();
  const out: HTMLElement[] = [...back];
  path.forEach(step => {
    if (out.length > 0) {
      out.push(el('span', 'tg-crumb-sep'));
    }
    const label = model.subgraph(step)?.label ?? model.node(step)?.label ?? step;
    const crumb = button(label, 'tg-crumb', `Show ${label}`, () => onPick(step));
    crumb.dataset.id = step;
    out.push(crumb);
  });
  return out;
}
