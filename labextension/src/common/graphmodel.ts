/**
 * Pure logic over the kernel's graph JSON (see kernel_ext/tgraph/graph.py):
 * node lookup, search, inspector rows, rewrite filtering. No DOM here, so
 * the inline widget and the side panel share it and jest tests it directly.
 */
import { isRecord } from './guards';
import { LayoutMetaJSON } from './messages';

export type NodeKind = 'op' | 'input' | 'output' | 'constant' | 'shared';

export interface ISourceJSON {
  line: number;
  text: string;
  file: string;
}

export interface INodeJSON {
  id: string;
  kind: NodeKind;
  label: string;
  op: string;
  name: string;
  dtype: string;
  shape: string;
  parent: string | null;
  source: ISourceJSON | null;
  attrs: Record<string, string>;
  tags: string[];
}

export interface IEdgeJSON {
  src: string;
  dst: string;
  label: string;
  slot: number;
  tags: string[];
}

export interface ISubgraphJSON {
  id: string;
  label: string;
  kind: string;
  parent: string | null;
  attrs?: Record<string, string>;
}

export interface IGraphJSON {
  nodes: INodeJSON[];
  edges: IEdgeJSON[];
  subgraphs: ISubgraphJSON[];
  notes: string[];
}

export interface IRewriteJSON {
  step: number;
  name: string;
  replaced: string;
  replacement: string;
  noise: boolean;
  created: string[];
  /** The view whose graph it rewrote: 'optimized', 'gradient'... */
  view?: string;
  /** The pass it belongs to (canonicalize, specialize, fusion...); may be empty. */
  pass_name?: string;
  /** The first line of its docstring, read from the installed framework. */
  doc?: string;
  /** Every pass it is registered under. */
  passes?: string[];
  /** Where it is defined: module and 1-based line ('' and 0 when unknown). */
  module?: string;
  line?: number;
  /** Ids in the previous step's graph that this step removed. */
  removed?: string[];
  /** The graph right after this step (the side panel's stepper only). */
  graph?: IGraphJSON | null;
}

export interface IBundleJSON {
  target: string;
  framework: string;
  views: Record<string, IGraphJSON>;
  rewrites: IRewriteJSON[];
  notes: string[];
  info: Record<string, unknown>;
  cell: number | null;
  /** Per view, the graph before its first rewrite (the stepper's step 0). */
  rewrite_start?: Record<string, IGraphJSON>;
  version?: number;
}

/** Enough of a bundle to draw from; the kernel's JSON arrives untyped. */
export function isBundle(value: unknown): value is IBundleJSON {
  return (
    isRecord(value) &&
    typeof value.target === 'string' &&
    typeof value.framework === 'string' &&
    isRecord(value.views) &&
    Object.values(value.views).every(isGraph) &&
    Array.isArray(value.rewrites) &&
    Array.isArray(value.notes) &&
    isRecord(value.info)
  );
}

export function isGraph(value: unknown): value is IGraphJSON {
  return (
    isRecord(value) &&
    Array.isArray(value.nodes) &&
    Array.isArray(value.edges) &&
    Array.isArray(value.subgraphs)
  );
}

function isGroup(value: unknown): value is IGroupJSON {
  return (
    isRecord(value) &&
    typeof value.id === 'string' &&
    typeof value.label === 'string' &&
    Array.isArray(value.members)
  );
}

/** An empty bundle, drawn until a real one arrives. */
export function emptyBundle(): IBundleJSON {
  return { target: '', framework: '', views: {}, rewrites: [], notes: [], info: {}, cell: null };
}

/** Synthetic group made by the kernel's layout for big flat graphs. */
export interface IGroupJSON extends ISubgraphJSON {
  members: string[];
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
  readonly nodes: INodeJSON[];
  private _byId = new Map<string, INodeJSON>();
  private _subs = new Map<string, ISubgraphJSON>();
  private _parents = new Map<string, string | null>();
  private _inputs = new Map<string, IEdgeJSON[]>();
  private _outputs = new Map<string, IEdgeJSON[]>();

  constructor(graph: IGraphJSON, meta: LayoutMetaJSON = {}) {
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
    const groups: unknown[] = meta.groups ?? [];
    for (const g of groups.filter(isGroup)) {
      this._subs.set(g.id, g);
      this._parents.set(g.id, g.parent);
      for (const m of g.members) {
        this._parents.set(m, g.id);
      }
    }
    for (const e of graph.edges ?? []) {
      push(this._inputs, e.dst, e);
      push(this._outputs, e.src, e);
    }
  }

  node(id: string): INodeJSON | undefined {
    return this._byId.get(id);
  }

  subgraph(id: string): ISubgraphJSON | undefined {
    return this._subs.get(id);
  }

  parentOf(id: string): string | null {
    return this._parents.get(id) ?? null;
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
        return (n: INodeJSON) => lower(n[field]).includes(value);
      }
      return (n: INodeJSON) => SEARCH_FIELDS.some(f => lower(n[f]).includes(term));
    });
    return this.nodes.filter(n => tests.every(t => t(n))).map(n => n.id);
  }

  /** Inspector rows [label, value] for a node or subgraph; text only. */
  details(id: string): [string, string][] {
    const node = this._byId.get(id);
    if (!node) {
      const sub = this._subs.get(id);
      if (!sub) {
        return [];
      }
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
    const ins = this._inputs.get(id) ?? [];
    if (ins.length) {
      rows.push(['inputs', ins.map(e => this._edgeText(e.src, e)).join('; ')]);
    }
    const outs = this._outputs.get(id) ?? [];
    if (outs.length) {
      rows.push(['used by', outs.map(e => this._edgeText(e.dst, e)).join('; ')]);
    }
    if (node.parent) {
      rows.push(['inside', this._subs.get(node.parent)?.label ?? node.parent]);
    }
    rows.push(['id', node.id]);
    return rows;
  }

  private _edgeText(other: string, e: IEdgeJSON): string {
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

function push<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) {
    list.push(value);
  } else {
    map.set(key, [value]);
  }
}
