/**
 * One side of a comparison seen as a tree of groups: each subgraph's child
 * groups in program order, the nodes directly inside it, and how many ops it
 * holds at any depth. What compare.ts walks to pair two graphs group by group.
 */
import { GraphJSON, NodeJSON, SubgraphJSON } from './graph';
import { push } from './graphmodel';

/** Groups made from the program's own structure (not inner graphs such as a Composite). */
export const STRUCTURE_KINDS = new Set([
  'pass',
  'call',
  'module',
  'repeat',
  'instance',
  'term',
  'inputs',
  'outputs',
  'group'
]);

const COUNT = / ×(\d+)$/;
const INSTANCE = / \[\d+\]$/;

/** A repeat's label without its count ("block ×24" -> "block"). */
export function withoutCount(label: string): string {
  return label.replace(COUNT, '');
}

/** What a group is, whichever way it was folded: kind and label without count or instance number. */
export function unitKey(sub: SubgraphJSON): string {
  return `${sub.kind}\u0000${withoutCount(sub.label).replace(INSTANCE, '')}`;
}

/** How many times a repeat repeats (1 for any other group). */
export function countOf(sub: SubgraphJSON): number {
  const n = Number(sub.attrs?.count ?? COUNT.exec(sub.label)?.[1] ?? 1);
  return Number.isFinite(n) ? n : 1;
}

export class GroupTree {
  readonly subs = new Map<string, SubgraphJSON>();
  readonly nodes: NodeJSON[];

  constructor(graph: GraphJSON) {
    this.nodes = graph.nodes ?? [];
    for (const s of graph.subgraphs ?? []) {
      this.subs.set(s.id, s);
    }
    this.nodes.forEach((n, i) => {
      const home = this._home(n.parent);
      push(this._nodesIn, home, n);
      this._first.set(n.id, i);
    });
    for (const s of this.subs.values()) {
      push(this._kids, this._home(s.parent), s.id);
    }
    for (const kids of this._kids.values()) {
      kids.sort((a, b) => this._rank(a) - this._rank(b));
    }
  }

  /** Child groups of ``id`` (null: the top), in the order the program ran them. */
  kids(id: string | null): string[] {
    return this._kids.get(id) ?? [];
  }

  /** Nodes directly inside ``id`` (null: the top), in graph order. */
  nodesIn(id: string | null): NodeJSON[] {
    return this._nodesIn.get(id) ?? [];
  }

  /** Ops inside ``id`` at any depth. */
  ops(id: string): number {
    let n = this._ops.get(id);
    if (n === undefined) {
      this._ops.set(id, 0); // a cycle counts nothing twice
      n = this.nodesIn(id).filter(node => node.kind === 'op').length;
      for (const kid of this.kids(id)) {
        n += this.ops(kid);
      }
      this._ops.set(id, n);
    }
    return n;
  }

  /** ``id`` and its enclosing groups, innermost first. */
  ancestry(id: string): string[] {
    const chain = [id];
    let up = this.subs.get(id)?.parent ?? this.nodes[this._first.get(id) ?? -1]?.parent ?? null;
    while (up !== null && this.subs.has(up) && !chain.includes(up)) {
      chain.push(up);
      up = this.subs.get(up)?.parent ?? null;
    }
    return chain;
  }

  /** Whether ``id`` runs in reverse (inside a backward pass): its repeats count from the end. */
  reversed(id: string | null): boolean {
    return (
      id !== null && this.ancestry(id).some(a => this.subs.get(a)?.attrs?.order === 'reversed')
    );
  }

  /** Whether ``node`` sits in an inner graph (a Composite, a scan body), not only in groups. */
  inner(node: NodeJSON): boolean {
    return this.ancestry(node.id)
      .slice(1)
      .some(a => !STRUCTURE_KINDS.has(this.subs.get(a)?.kind ?? ''));
  }

  /** Every group and node below ``id``. */
  below(id: string): string[] {
    const out: string[] = [];
    const walk = (at: string) => {
      for (const n of this.nodesIn(at)) {
        out.push(n.id);
      }
      for (const kid of this.kids(at)) {
        out.push(kid);
        walk(kid);
      }
    };
    walk(id);
    return out;
  }

  private _home(parent: string | null): string | null {
    return parent !== null && this.subs.has(parent) ? parent : null;
  }

  /** Where a group first appears: its first node in graph order. */
  private _rank(id: string): number {
    let r = this._ranks.get(id);
    if (r === undefined) {
      this._ranks.set(id, Infinity);
      r = Infinity;
      for (const n of this.nodesIn(id)) {
        r = Math.min(r, this._first.get(n.id) ?? Infinity);
      }
      for (const kid of this.kids(id)) {
        r = Math.min(r, this._rank(kid));
      }
      this._ranks.set(id, r);
    }
    return r;
  }

  private _kids = new Map<string | null, string[]>();
  private _nodesIn = new Map<string | null, NodeJSON[]>();
  private _first = new Map<string, number>();
  private _ops = new Map<string, number>();
  private _ranks = new Map<string, number>();
}
