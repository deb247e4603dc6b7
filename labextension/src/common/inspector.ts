/**
 * The inspector of a graph view: the selected node's or subgraph's
 * attributes as text, what the host adds (its value...), and Expand or
 * Collapse for a subgraph.
 */
import { button, el, text } from './dom';
import { GraphModel } from './graphmodel';

export interface IInspectorOptions {
  /** The host's rows for this node (values...), after its attributes. */
  extra: HTMLElement | null;
  /** The selection is a collapsed subgraph, or an expanded one. */
  expandable: boolean;
  collapsible: boolean;
  onExpand: () => void;
  onCollapse: () => void;
}

/** What the inspector shows for ``id`` of ``model`` (null: nothing selected). */
export function inspectorContent(
  model: GraphModel,
  id: string | null,
  options: IInspectorOptions
): HTMLElement[] {
  if (!id) {
    return [text('p', 'tg-hint', 'Click a node to see its attributes.')];
  }
  const rows = model.details(id);
  const node = model.node(id);
  const dl = el('dl', 'tg-details');
  for (const [k, v] of rows) {
    dl.append(text('dt', '', k), text('dd', '', v));
  }
  const out: HTMLElement[] = [
    text('h4', 'tg-inspector-title', node?.label ?? rows[0]?.[1] ?? id),
    dl
  ];
  if (options.extra) {
    out.push(options.extra);
  }
  if (options.expandable) {
    out.push(button('Expand', 'tg-expand', 'Expand this subgraph', options.onExpand));
  } else if (options.collapsible) {
    out.push(button('Collapse', 'tg-collapse', 'Collapse this subgraph', options.onCollapse));
  }
  return out;
}
