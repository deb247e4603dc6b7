/**
 * Pairing the nodes of two graphs for the side-by-side view. Node ids are
 * only stable within one graph, so nodes are matched by what they are: kind,
 * op and name, taken in graph order. What is left over exists on one side only.
 */
import { GraphJSON, NodeJSON } from './graph';

export interface IPairing {
  pairs: [string, string][];
  onlyLeft: string[];
  onlyRight: string[];
}

function key(node: NodeJSON): string {
  return [node.kind, node.op ?? '', node.name ?? '', node.parent ? 'inner' : 'outer'].join(
    '\u0000'
  );
}

export function pairNodes(left: GraphJSON, right: GraphJSON): IPairing {
  const waiting = new Map<string, string[]>();
  for (const node of right.nodes) {
    const list = waiting.get(key(node)) ?? [];
    list.push(node.id);
    waiting.set(key(node), list);
  }
  const pairs: [string, string][] = [];
  const onlyLeft: string[] = [];
  for (const node of left.nodes) {
    const match = waiting.get(key(node))?.shift();
    if (match === undefined) {
      onlyLeft.push(node.id);
    } else {
      pairs.push([node.id, match]);
    }
  }
  const onlyRight = [...waiting.values()].flat();
  return { pairs, onlyLeft, onlyRight };
}
