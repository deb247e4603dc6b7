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
  /** The selection is the group shown alone. */
  focused: boolean;
  onExpand: () => void;
  onCollapse: () => void;
  onFocus: () => void;
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
  return [...out, ...groupButtons(options)];
}

/** Expand or Collapse, and Focus (or back to the whole graph), for a subgraph. */
function groupButtons(options: IInspectorOptions): HTMLElement[] {
  if (!options.expandable && !options.collapsible) {
    return [];
  }
  const toggle = options.expandable
    ? button('Expand', 'tg-expand', 'Expand this subgraph', options.onExpand)
    : button('Collapse', 'tg-collapse', 'Collapse this subgraph', options.onCollapse);
  const focus = options.focused
    ? button('Whole graph', 'tg-focus', 'Show the whole graph again', options.onFocus)
    : button('Focus', 'tg-focus', 'Show this group alone', options.onFocus);
  return [toggle, focus];
}
