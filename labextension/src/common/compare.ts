/**
 * Pairing two graphs for the side-by-side view. Ids are only stable within
 * one graph, so things are matched by what they are. Groups first, from the
 * top: by kind and label without count, so that "block ×24" pairs with
 * "block ×12" (and says the count changed), a repeat's instances pair by
 * number (from the end in a backward pass, where layer 0 comes last), and a
 * repeat on one side only opens into its instances, which pair with the
 * other side's loose calls. Then the nodes directly inside paired groups, by
 * kind, op and name in graph order; what is left is paired as before, over
 * the whole graph. What is left after that exists on one side only.
 */
import { GraphJSON, NodeJSON } from './graph';
import { countOf, GroupTree, unitKey, withoutCount } from './grouptree';

/** A pair of groups whose contents differ, with what to say in the comparison bar. */
export interface IChange {
  left: string;
  right: string;
  /** E.g. "block ×24 ↔ block ×12 in forward". */
  text: string;
}

export interface IPairing {
  /** Paired nodes, left id then right id. */
  pairs: [string, string][];
  onlyLeft: string[];
  onlyRight: string[];
  /** Paired groups (subgraphs), outermost first. */
  groupPairs: [string, string][];
  groupsOnlyLeft: string[];
  groupsOnlyRight: string[];
  /** Paired groups whose repeat count, op count or contents differ. */
  changed: IChange[];
  /** The innermost of ``changed``: what the bar names. */
  headlines: IChange[];
}

function key(node: NodeJSON, inner: boolean): string {
  return [node.kind, node.op ?? '', node.name ?? '', inner ? 'inner' : 'outer'].join('\u0000');
}

/**
 * Pair ``lefts`` with ``rights`` of equal key in order (from the end where
 * ``reversed``). Ids of the two sides may be equal, hence a key function each.
 */
function byKey<T>(
  lefts: T[],
  rights: T[],
  keys: [(item: T) => string, (item: T) => string],
  reversed = false
): [T, T][] {
  const waiting = new Map<string, T[]>();
  for (const r of rights) {
    const list = waiting.get(keys[1](r)) ?? [];
    list.push(r);
    waiting.set(keys[1](r), list);
  }
  const pairs: [T, T][] = [];
  for (const l of reversed ? [...lefts].reverse() : lefts) {
    const list = waiting.get(keys[0](l));
    const match = reversed ? list?.pop() : list?.shift();
    if (match !== undefined) {
      pairs.push([l, match]);
    }
  }
  return reversed ? pairs.reverse() : pairs;
}

const isRepeat = (tree: GroupTree) => (id: string) => tree.subs.get(id)?.kind === 'repeat';
const repeatKey = (tree: GroupTree) => (id: string) => withoutCount(tree.subs.get(id)?.label ?? '');
const groupKey = (tree: GroupTree) => (id: string) => {
  const sub = tree.subs.get(id);
  return sub ? unitKey(sub) : id;
};
const nodeKey = (n: NodeJSON) => key(n, false);

/** Walks both group trees from the top, pairing groups, then the nodes inside them. */
class Matcher {
  readonly groups: [string, string][] = [];
  readonly nodes: [string, string][] = [];

  constructor(
    readonly left: GroupTree,
    readonly right: GroupTree
  ) {
    this._inside(null, null, false);
  }

  private _inside(l: string | null, r: string | null, reversed: boolean): void {
    const { left, right } = this;
    const nodes = byKey(left.nodesIn(l), right.nodesIn(r), [nodeKey, nodeKey]);
    this.nodes.push(...nodes.map(([a, b]): [string, string] => [a.id, b.id]));
    const repeats = byKey(
      left.kids(l).filter(isRepeat(left)),
      right.kids(r).filter(isRepeat(right)),
      [repeatKey(left), repeatKey(right)],
      reversed
    );
    // a repeat with no partner stands for its instances
    const units = (tree: GroupTree, at: string | null, paired: Set<string>) =>
      tree.kids(at).flatMap(k => (isRepeat(tree)(k) ? (paired.has(k) ? [] : tree.kids(k)) : [k]));
    const rest = byKey(
      units(left, l, new Set(repeats.map(p => p[0]))),
      units(right, r, new Set(repeats.map(p => p[1]))),
      [groupKey(left), groupKey(right)],
      reversed
    );
    const kids = left.kids(l);
    const order = (id: string) => {
      const at = kids.indexOf(id);
      return at >= 0 ? at : kids.indexOf(left.subs.get(id)?.parent ?? '');
    };
    const all = [...repeats, ...rest].sort((a, b) => order(a[0]) - order(b[0]));
    for (const [a, b] of all) {
      this.groups.push([a, b]);
      const back = reversed || left.subs.get(a)?.attrs?.order === 'reversed';
      this._inside(a, b, back);
    }
  }
}

/** Pair ``left``'s groups and nodes with ``right``'s. */
export function pairNodes(left: GraphJSON, right: GraphJSON): IPairing {
  const lt = new GroupTree(left);
  const rt = new GroupTree(right);
  const m = new Matcher(lt, rt);
  const doneLeft = new Set(m.nodes.map(p => p[0]));
  const doneRight = new Set(m.nodes.map(p => p[1]));
  // the rest as before: by kind, op and name over the whole graph
  const rest = byKey(
    lt.nodes.filter(n => !doneLeft.has(n.id)),
    rt.nodes.filter(n => !doneRight.has(n.id)),
    [n => key(n, lt.inner(n)), n => key(n, rt.inner(n))]
  );
  const place = new Map(lt.nodes.map((n, i) => [n.id, i]));
  const pairs = [...m.nodes, ...rest.map(([a, b]): [string, string] => [a.id, b.id])].sort(
    (a, b) => (place.get(a[0]) ?? 0) - (place.get(b[0]) ?? 0)
  );
  // a repeat on one side only whose instances paired is not itself one-sided
  const onlyOf = (tree: GroupTree, nodes: Set<string>, groups: Set<string>) => [
    tree.nodes.filter(n => !nodes.has(n.id)).map(n => n.id),
    [...tree.subs.keys()].filter(id => !groups.has(id) && !tree.below(id).some(b => groups.has(b)))
  ];
  const [onlyLeft, groupsOnlyLeft] = onlyOf(
    lt,
    new Set(pairs.map(p => p[0])),
    new Set(m.groups.map(p => p[0]))
  );
  const [onlyRight, groupsOnlyRight] = onlyOf(
    rt,
    new Set(pairs.map(p => p[1])),
    new Set(m.groups.map(p => p[1]))
  );
  const changed = changes(lt, rt, m.groups, [
    new Set([...onlyLeft, ...groupsOnlyLeft]),
    new Set([...onlyRight, ...groupsOnlyRight])
  ]);
  return {
    pairs,
    onlyLeft,
    onlyRight,
    groupPairs: m.groups,
    groupsOnlyLeft,
    groupsOnlyRight,
    changed,
    headlines: innermost(lt, changed)
  };
}

/** Paired groups whose repeat count, op count or contents differ, each with its text. */
function changes(
  lt: GroupTree,
  rt: GroupTree,
  groups: [string, string][],
  only: [Set<string>, Set<string>]
): IChange[] {
  const holds = (tree: GroupTree, alone: Set<string>) => {
    const found = new Set<string>();
    for (const id of alone) {
      tree
        .ancestry(id)
        .slice(1)
        .forEach(a => found.add(a));
    }
    return found;
  };
  const [holdsLeft, holdsRight] = [holds(lt, only[0]), holds(rt, only[1])];
  const out: IChange[] = [];
  for (const [a, b] of groups) {
    const la = lt.subs.get(a)!;
    const rb = rt.subs.get(b)!;
    let text = '';
    if (countOf(la) !== countOf(rb)) {
      text = `${la.label} ↔ ${rb.label}`;
    } else if (lt.ops(a) !== rt.ops(b)) {
      text = `${withoutCount(la.label)}: ${lt.ops(a)} ops ↔ ${rt.ops(b)} ops`;
    } else if (holdsLeft.has(a) || holdsRight.has(b)) {
      text = `${withoutCount(la.label)}: contents differ`;
    }
    if (text) {
      const top = lt.ancestry(a).pop();
      const where = top && top !== a ? ` in ${lt.subs.get(top)?.label ?? top}` : '';
      out.push({ left: a, right: b, text: text + where });
    }
  }
  return out;
}

/** The changes with no changed group inside them: where the difference is. */
function innermost(lt: GroupTree, changed: IChange[]): IChange[] {
  const outer = new Set<string>();
  for (const c of changed) {
    lt.ancestry(c.left)
      .slice(1)
      .forEach(a => outer.add(a));
  }
  return changed.filter(c => !outer.has(c.left));
}
