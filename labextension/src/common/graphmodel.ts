/**
 * Pure logic over the kernel's graph JSON (see kernel_ext/tgraph/graph.py):
 * node lookup, search, inspector rows, rewrite filtering. No DOM here, so
 * the inline widget and the side panel share it and jest tests it directly.
 */
import { EdgeJSON, GraphBundleJSON, GraphJSON, NodeJSON, SubgraphJSON } from './graph';
import { GroupJSON, LayoutMetaJSON } from './messages';

/** An empty bundle, drawn until a real one arrives. */
export function emptyBundle(): GraphBundleJSON {
  return { target: '', framework: '', views: {}, rewrites: [], notes: [], info: {}, cell: null };
}

/** A view's title where the kernel sent none (other graphs in the compare list). */
export function viewTitle(name: string): string {
  const spaced = name.replace(/_/g, ' ');
  return spaced.charAt(0).toUpperCase() + spaced.slice(1);
}

const SEARCH_FIELDS = ['op', 'name', 'label', 'dtype', 'kind', 'shape'] as const;
type SearchField = (typeof SEARCH_FIELDS)[number];

/** Node and subgraph lookup for one view, plus containment for collapsed boxes. */
export class GraphModel {
  readonly nodes: NodeJSON[];
  private _byId = new Map<string, NodeJSON>();
  private _subs = new Map<string, SubgraphJSON>();
  private _parents = new Map<string, string | null>();
  private _inputs = new Map<string, EdgeJSON[]>();
  private _outputs = new Map<string, EdgeJSON[]>();
  /** The graph's edges: a picture's edge ``tg-e<i>`` draws edge ``i`` (and any merged with it). */
  readonly edges: EdgeJSON[];

  constructor(graph: GraphJSON, meta: LayoutMetaJSON = {}) {
    this.nodes = graph.nodes ?? [];
    for (const n of this.nodes) {
      this._byId.set(n.id, n);
      // as in the kernel's layout: an op that owns an inner graph is drawn inside it
      this._parents.set(n.id, n.attrs?.subgraph ?? n.parent);
    }
    for (const s of graph.subgraphs ?? []) {
      this._subs.set(s.id, s);
      this._parents.set(s.id, s.parent);
    }
    this._addGroups(meta.groups ?? []);
    this.edges = graph.edges ?? [];
    for (const e of this.edges) {
      push(this._inputs, e.dst, e);
      push(this._outputs, e.src, e);
    }
  }

  /** The layout's bands of a big flat graph: subgraphs that hold their members. */
  private _addGroups(groups: GroupJSON[]): void {
    for (const g of groups) {
      this._subs.set(g.id, g);
      this._parents.set(g.id, g.parent);
      for (const m of g.members) {
        this._parents.set(m, g.id);
      }
    }
  }

  node(id: string): NodeJSON | undefined {
    return this._byId.get(id);
  }

  subgraph(id: string): SubgraphJSON | undefined {
    return this._subs.get(id);
  }

  parentOf(id: string): string | null {
    return this._parents.get(id) ?? null;
  }

  /**
   * The subgraphs around ``id``, outermost first, that are not drawn open
   * (``isOpen`` says which are): what must open for ``id`` to be seen.
   */
  closedAround(id: string, isOpen: (sub: string) => boolean): string[] {
    return this.ancestry(id)
      .slice(1)
      .filter(a => this.subgraph(a) !== undefined && !isOpen(a))
      .reverse();
  }

  /** The id itself, then its enclosing subgraphs, innermost first. */
  ancestry(id: string): string[] {
    const chain = [id];
    const seen = new Set(chain);
    let up = this.parentOf(id);
    while (up !== null && !seen.has(up)) {
      chain.push(up);
      seen.add(up);
      up = this.parentOf(up);
    }
    return chain;
  }

  /**
   * Ids of nodes matching every whitespace-separated term, in graph order.
   * A term `field:value` looks only in that field (op, name, label, dtype,
   * kind, shape); a bare term in any of them. Case-insensitive substrings.
   */
  search(query: string): string[] {
    const terms = query.toLowerCase().split(/\s+/).filter(Boolean);
    if (terms.length === 0) {
      return [];
    }
    const tests = terms.map(term => {
      const colon = term.indexOf(':');
      const field = term.slice(0, colon) as SearchField;
      if (colon > 0 && SEARCH_FIELDS.includes(field)) {
        const value = term.slice(colon + 1);
        return (n: NodeJSON) => lower(n[field]).includes(value);
      }
      return (n: NodeJSON) => SEARCH_FIELDS.some(f => lower(n[f]).includes(term));
    });
    return this.nodes.filter(n => tests.every(t => t(n))).map(n => n.id);
  }

  /** Inspector rows [label, value] for a node or subgraph; text only. */
  details(id: string): [string, string][] {
    const node = this._byId.get(id);
    if (node) {
      return this._nodeDetails(node);
    }
    const sub = this._subs.get(id);
    return sub ? this._subgraphDetails(sub) : [];
  }

  private _subgraphDetails(sub: SubgraphJSON): [string, string][] {
    const rows: [string, string][] = [
      ['subgraph', sub.label],
      ['kind', sub.kind],
      ['id', sub.id]
    ];
    for (const [k, v] of Object.entries(sub.attrs ?? {})) {
      rows.push([k, String(v)]);
    }
    if (sub.parent) {
      rows.push(['inside', this._subs.get(sub.parent)?.label ?? sub.parent]);
    }
    return rows;
  }

  private _nodeDetails(node: NodeJSON): [string, string][] {
    const rows: [string, string][] = [
      ['label', node.label],
      ['kind', node.kind]
    ];
    const optional: [string, string][] = [
      ['op', node.op],
      ['name', node.name],
      ['dtype', node.dtype],
      ['shape', node.shape]
    ];
    rows.push(...optional.filter(([, v]) => v));
    if (node.source) {
      const where = node.source.file ? ` (${node.source.file})` : '';
      rows.push(['source', `line ${node.source.line}${where}: ${node.source.text}`]);
    }
    for (const [k, v] of Object.entries(node.attrs ?? {})) {
      rows.push([k, String(v)]);
    }
    if (node.tags?.length) {
      rows.push(['tags', node.tags.join(', ')]);
    }
    rows.push(...this._neighbours(node));
    rows.push(['id', node.id]);
    return rows;
  }

  /** Where a node's inputs come from, what uses it, and the subgraph it is in. */
  private _neighbours(node: NodeJSON): [string, string][] {
    const rows: [string, string][] = [];
    const ins = this._inputs.get(node.id) ?? [];
    if (ins.length) {
      rows.push(['inputs', ins.map(e => this._edgeText(e.src, e)).join('; ')]);
    }
    const outs = this._outputs.get(node.id) ?? [];
    if (outs.length) {
      rows.push(['used by', outs.map(e => this._edgeText(e.dst, e)).join('; ')]);
    }
    if (node.parent) {
      rows.push(['inside', this._subs.get(node.parent)?.label ?? node.parent]);
    }
    return rows;
  }

  private _edgeText(other: string, e: EdgeJSON): string {
    const n = this._byId.get(other);
    const name = n ? n.name || n.label : other;
    return e.label ? `${name} (${e.label})` : name;
  }
}

/** Moves through search matches with wrap-around. */
export class SearchCursor {
  index = -1;
  constructor(readonly matches: string[]) {}

  get current(): string | undefined {
    return this.matches[this.index];
  }

  next(): string | undefined {
    return this._step(1);
  }

  prev(): string | undefined {
    return this._step(-1);
  }

  /** Make ``id`` the current match (after a new picture kept the query). */
  moveTo(id: string): void {
    const at = this.matches.indexOf(id);
    if (at >= 0) {
      this.index = at;
    }
  }

  /** "3 / 12", or "no match" for an empty result. */
  describe(): string {
    if (this.matches.length === 0) {
      return 'no match';
    }
    return `${this.index + 1} / ${this.matches.length}`;
  }

  private _step(delta: number): string | undefined {
    const n = this.matches.length;
    if (n === 0) {
      return undefined;
    }
    this.index = this.index < 0 && delta < 0 ? n - 1 : (this.index + delta + n) % n;
    return this.current;
  }
}

function lower(value: unknown): string {
  return typeof value === 'string' ? value.toLowerCase() : '';
}

/** Append ``value`` to ``key``'s list in ``map``. */
export function push<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) {
    list.push(value);
  } else {
    map.set(key, [value]);
  }
}
