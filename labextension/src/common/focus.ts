/**
 * Focus on one group of a big graph: everything outside it is hidden, the
 * edges that cross its border stay (marked), and the view fits the group.
 * The picture is not laid out again: opening and closing inside the group
 * work as before, and leaving the focus shows the whole picture as it was.
 */
import { button } from './dom';
import { GraphModel } from './graphmodel';

/** Classes on a picture's elements while a group has the focus. */
export const OUTSIDE = 'tg-outside';
export const BORDER = 'tg-border';

/** Whether ``id`` is ``group`` or lies inside it. */
function inside(model: GraphModel, id: string, group: string): boolean {
  return model.ancestry(id).includes(group);
}

/** Whether an element of the picture lies outside ``group`` or crosses its border. */
function placeOf(g: SVGGElement, model: GraphModel, group: string): [boolean, boolean] {
  const id = g.id.slice(3);
  const edge = g.classList.contains('edge') ? model.edges[Number(id.slice(1))] : undefined;
  if (!edge) {
    return [!inside(model, id, group), false];
  }
  const from = inside(model, edge.src, group);
  const to = inside(model, edge.dst, group);
  return [!from && !to, from !== to];
}

/**
 * Hide what lies outside ``group`` in ``svg`` (null: show everything).
 * Returns the group's drawn frame, to fit the view to, or null when the
 * group is not drawn open in this picture.
 */
export function applyFocus(
  svg: SVGSVGElement,
  model: GraphModel,
  group: string | null
): SVGGElement | null {
  const frame = group
    ? (Array.from(svg.querySelectorAll<SVGGElement>('g.cluster')).find(
        g => g.id === `tg-${group}`
      ) ?? null)
    : null;
  for (const g of Array.from(svg.querySelectorAll<SVGGElement>('g.node, g.cluster, g.edge'))) {
    const [out, border] =
      frame && g.id.startsWith('tg-') ? placeOf(g, model, group!) : [false, false];
    g.classList.toggle(OUTSIDE, out);
    g.classList.toggle(BORDER, border);
  }
  return frame;
}

/** The breadcrumb's way back from a focused group. */
export function leaveCrumb(label: string, onLeave: () => void): HTMLElement {
  return button(
    'Whole graph',
    'tg-crumb tg-unfocus',
    `Leave ${label} and show the whole graph`,
    onLeave
  );
}
