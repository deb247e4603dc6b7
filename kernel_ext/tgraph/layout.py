"""Graph model -> positioned SVG with stable element ids, via Graphviz.

The kernel lays graphs out (see docs/architecture.md) so the front end only
pans, zooms and styles. The ``graphviz`` package builds and quotes the DOT.
Every node's SVG group has id ``tg-<node id>`` and classes for its kind and
tags; subgraphs are either one collapsed box or an expanded cluster
(``grouping`` decides the boxes, ``render`` runs Graphviz).
"""

from __future__ import annotations

import re
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import graphviz

from .graph import Edge, Graph, Node, Subgraph
from .grouping import Tree, build_tree, op_counts
from .messages import LayoutMetaJSON
from .render import LayoutError, render_svg
from .structure import TIMES

#: Refuse layouts with more visible nodes: Graphviz time grows superlinearly.
MAX_VISIBLE = 500
#: Labels longer than this are cut in the picture (the inspector shows all).
MAX_LABEL = 48
#: Edge labels cost dot extra virtual nodes; drop them past this many edges.
MAX_LABELLED_EDGES = 300

FONT = "Helvetica,Arial,sans-serif"
#: Past this many edges dot's crossing minimisation gets a tenth of its default
#: effort: on a 350-edge gradient of nested Scans that halves the layout time.
CROSSING_EDGES = 200
#: Past this many virtual nodes (ranks that long edges cross) edges are drawn
#: straight: routing splines through them is most of dot's time, e.g. 0.65 s of
#: 1 s for the gradient of a nested Scan (5,000 virtual nodes, 350 edges).
LONG_EDGES = 3000

Attrs = dict[str, str]

_GRAPH: Attrs = {
    "rankdir": "TB",
    "bgcolor": "transparent",
    "fontname": FONT,
    "fontsize": "11",
    "nodesep": "0.25",
    "ranksep": "0.35",
    "newrank": "true",
    "nslimit": "4",
    "nslimit1": "4",
}
_NODE: Attrs = {"fontname": FONT, "fontsize": "11", "height": "0.3", "margin": "0.08,0.04"}
_EDGE: Attrs = {
    "fontname": FONT,
    "fontsize": "9",
    "color": "#6b7280",
    "fontcolor": "#4b5563",
    "arrowsize": "0.6",
}

# Kind -> DOT attributes. Shape and colour both differ so kinds read at a glance,
# also in the static fallback where the widget's CSS is absent.
_KIND_STYLE: dict[str, Attrs] = {
    "op": {"shape": "box", "style": "rounded,filled", "fillcolor": "#eef2f7", "color": "#5b6b7f"},
    "input": {"shape": "ellipse", "style": "filled", "fillcolor": "#d8f3dc", "color": "#2d6a4f"},
    "output": {
        "shape": "ellipse",
        "peripheries": "2",
        "style": "filled",
        "fillcolor": "#dbe7ff",
        "color": "#1d4ed8",
    },
    "constant": {"shape": "note", "style": "filled", "fillcolor": "#f1f1f1", "color": "#888888"},
    "shared": {"shape": "cylinder", "style": "filled", "fillcolor": "#ffe8cc", "color": "#b35c00"},
}
_BOX_STYLE: Attrs = {
    "shape": "box3d",
    "style": "filled",
    "fillcolor": "#ede7f6",
    "color": "#5e35b1",
}
_GROUP_STYLE: Attrs = {
    "shape": "folder",
    "style": "filled",
    "fillcolor": "#f3f0e6",
    "color": "#7a6f4d",
}
#: Groups that follow the program's structure (see structure.py): a repeat is a
#: stacked box, a pass a bold folder, calls, modules and model terms folders.
_CALL_STYLE: Attrs = {**_GROUP_STYLE, "fillcolor": "#eef6ee", "color": "#2e7d32"}
_STRUCTURE_STYLE: dict[str, Attrs] = {
    "group": _GROUP_STYLE,
    "call": _CALL_STYLE,
    "module": _CALL_STYLE,
    "instance": _CALL_STYLE,
    "term": _CALL_STYLE,
    "deterministic": _CALL_STYLE,
    "pass": {**_GROUP_STYLE, "penwidth": "2", "fillcolor": "#fff8e1", "color": "#8d6e00"},
    "repeat": {**_BOX_STYLE, "peripheries": "2", "fillcolor": "#e3f2fd", "color": "#1565c0"},
    "inputs": {**_GROUP_STYLE, "fillcolor": "#d8f3dc", "color": "#2d6a4f"},
    "outputs": {**_GROUP_STYLE, "fillcolor": "#dbe7ff", "color": "#1d4ed8"},
}
_CLUSTER_STYLE: Attrs = {"style": "rounded,filled", "fillcolor": "#faf8fd", "color": "#9575cd"}
_TAG_STYLE: dict[str, Attrs] = {
    "created": {"penwidth": "2", "color": "#d9480f"},
    "backward": {"fillcolor": "#fde8e8"},
    "residual": {"fillcolor": "#fff5d6"},
    "update": {"style": "dashed", "color": "#b35c00"},
    # data crossing devices (all-reduce, all-gather...): the costly boxes of a sharded program
    "collective": {"fillcolor": "#e5dbff", "color": "#5f3dc4", "penwidth": "2.5"},
}


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
    groups: list[dict[str, Any]] = field(default_factory=list)

    def meta(self) -> LayoutMetaJSON:
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


def _text(text: str) -> str:
    """``text`` made to show verbatim once the graphviz package has quoted it.

    Graphviz reads backslash escapes, ``<...>`` labels and HTML entities inside
    strings: ``graphviz.escape`` disarms the first two and ``&amp;`` the third.
    Newlines become Graphviz line breaks; other control characters, which XML
    cannot carry, are dropped.
    """
    lines = _CONTROL.sub("", text.replace("\r\n", "\n")).replace("&", "&amp;").split("\n")
    verbatim: str = graphviz.nohtml("\\n".join(graphviz.escape(line) for line in lines))
    return verbatim


_CONTROL = re.compile(r"[\x00-\x09\x0b-\x1f\x7f]")
_CLASS_SAFE = re.compile(r"[^A-Za-z0-9_-]+")


def _css(token: str) -> str:
    return "tg-" + _CLASS_SAFE.sub("-", token).strip("-").lower()


def _short(text: str, limit: int = MAX_LABEL) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


# --------------------------------------------------------------------------- hierarchy


def layout(
    graph: Graph, expanded: frozenset[str] = frozenset(), engine: str | None = None
) -> Layout:
    """Lay out ``graph`` with every subgraph collapsed except those in ``expanded``.

    Collapsed is the default at every depth: a subgraph inside a collapsed one
    stays hidden even when listed, and shows expanded once its ancestors are.
    Raises ``TooManyNodes`` rather than handing Graphviz a picture that would
    take minutes.
    """
    start = time.perf_counter()
    tree = build_tree(graph)
    picture = _to_dot(graph, tree, expanded)
    if picture.visible > MAX_VISIBLE:
        raise TooManyNodes(
            f"{picture.visible} nodes would be visible (limit {MAX_VISIBLE}); "
            "collapse a subgraph first"
        )
    svg, used = render_svg(picture.source, engine)
    groups: list[dict[str, Any]] = [
        {
            "id": g.id,
            "label": g.label,
            "kind": g.kind,
            "parent": g.parent,
            "members": tree.children[g.id],
        }
        for g in tree.groups
    ]
    return Layout(
        svg,
        picture.visible,
        picture.collapsed,
        picture.expanded,
        used,
        time.perf_counter() - start,
        groups,
    )


def dot_source(graph: Graph, expanded: frozenset[str] = frozenset()) -> str:
    """The DOT text ``layout`` would hand Graphviz, for export."""
    return _to_dot(graph, build_tree(graph), expanded).source


@dataclass
class _Picture:
    """The DOT of what is visible, and which subgraphs are boxes or clusters."""

    source: str
    visible: int
    collapsed: list[str]
    expanded: list[str]


def _to_dot(graph: Graph, tree: Tree, expanded: frozenset[str]) -> _Picture:
    hidden_by: dict[str, str | None] = {}

    def hider(container: str | None) -> str | None:
        """The outermost collapsed subgraph among ``container`` and its ancestors."""
        if container is None:
            return None
        if container not in hidden_by:
            outer = hider(tree.parent[container])
            hidden_by[container] = outer or (None if container in expanded else container)
        return hidden_by[container]

    nodes = {n.id: n for n in graph.nodes}
    ops = op_counts(graph, tree)
    # DOT names are short and ours, so ids and labels only ever travel as attributes.
    names: dict[str, str] = {}
    collapsed: list[str] = []
    shown: list[str] = []
    root = graphviz.Digraph("tgraph", graph_attr=dict(_GRAPH), node_attr=_NODE, edge_attr=_EDGE)

    def emit(dot: graphviz.Digraph, container: str | None) -> None:
        for item in tree.children[container]:
            name = f"n{len(names)}"
            sub = tree.subs.get(item)
            if sub is None:
                names[item] = name
                dot.node(name, _attributes=_node_attrs(nodes[item]))
            elif item in expanded:
                shown.append(item)
                names[item] = f"cluster_{name}"
                cluster = graphviz.Digraph(names[item], graph_attr=_cluster_attrs(sub))
                emit(cluster, item)
                dot.subgraph(cluster)
            else:
                collapsed.append(item)
                names[item] = name
                dot.node(name, _attributes=_box_attrs(sub, ops[item]))

    emit(root, None)
    pairs = _add_edges(root, graph, tree, nodes, names, hider)
    root.graph_attr["mclimit"] = "0.5" if len(pairs) <= CROSSING_EDGES else "0.1"
    if _long_edges(pairs) > LONG_EDGES:
        root.graph_attr["splines"] = "line"
    return _Picture(str(root.source), len(names) - len(shown), collapsed, shown)


def _node_attrs(node: Node) -> Attrs:
    label = _short(node.label or node.name or node.op or node.id)
    if node.kind != "op":
        detail = " ".join(x for x in (node.dtype, node.shape) if x)
        if detail and detail not in label:
            label += "\n" + _short(detail)
    attrs = dict(_KIND_STYLE.get(node.kind, _KIND_STYLE["op"]))
    for tag in node.tags:
        if tag != "update":
            attrs.update(_TAG_STYLE.get(tag, {}))
    classes = " ".join([_css(node.kind)] + [_css(t) for t in node.tags])
    return {**attrs, "id": _text("tg-" + node.id), "class": classes, "label": _text(label)}


def _box_attrs(sub: Subgraph, ops: int) -> Attrs:
    label = f"{_short(sub.label)} · {ops:,} op{'s' if ops != 1 else ''} ▸"
    style = _STRUCTURE_STYLE.get(sub.kind, _BOX_STYLE)
    classes = f"tg-subgraph {_css('kind-' + sub.kind)}"
    return {**style, "id": _text("tg-" + sub.id), "class": classes, "label": _text(label)}


def _cluster_attrs(sub: Subgraph) -> Attrs:
    classes = f"tg-cluster {_css('kind-' + sub.kind)}"
    label = _text(_short(sub.label) + " ▾")
    return {**_CLUSTER_STYLE, "id": _text("tg-" + sub.id), "class": classes, "label": label}


def _add_edges(
    dot: graphviz.Digraph,
    graph: Graph,
    tree: Tree,
    nodes: dict[str, Node],
    names: dict[str, str],
    hider: Callable[[str | None], str | None],
) -> list[tuple[str, str]]:
    """Edges between visible items; edges hidden inside one box vanish, repeats merge.

    Returns the (source, destination) item of each edge drawn.
    """
    merged: dict[tuple[str, str], list[int]] = {}
    direct: list[tuple[str, str, list[int]]] = []
    for i, e in enumerate(graph.edges):
        if e.src not in nodes or e.dst not in nodes:
            continue
        src = hider(tree.parent[e.src]) or e.src
        dst = hider(tree.parent[e.dst]) or e.dst
        if src == e.src and dst == e.dst:
            direct.append((src, dst, [i]))
        elif src != dst:
            merged.setdefault((src, dst), []).append(i)
    drawn = direct + [(src, dst, members) for (src, dst), members in merged.items()]
    labelled = len(drawn) <= MAX_LABELLED_EDGES
    upward = _upward(tree)
    pairs: list[tuple[str, str]] = []
    for src, dst, members in drawn:
        attrs = _edge_attrs(graph.edges, members, labelled)
        if upward and _inside_upward(src, dst, tree, upward):
            # ranked from its head: the pass flows up, level with what it mirrors
            src, dst = dst, src
            attrs["dir"] = "back"
        dot.edge(names[src], names[dst], _attributes=attrs)
        pairs.append((src, dst))
    return pairs


def _upward(tree: Tree) -> set[str]:
    """Groups whose program runs another group's backwards (a backward pass):
    drawn bottom to top, so that the backward of layer k sits beside layer k."""
    return {s.id for s in tree.subs.values() if s.attrs.get("order") == "reversed"}


def _inside_upward(src: str, dst: str, tree: Tree, upward: set[str]) -> bool:
    """Whether both ends of an edge lie in the same upward group."""
    ups = {c for c in _ancestors(src, tree) if c in upward}
    return bool(ups) and any(c in ups for c in _ancestors(dst, tree))


def _ancestors(item: str, tree: Tree) -> list[str]:
    found = []
    container = tree.parent.get(item)
    while container is not None:
        found.append(container)
        container = tree.parent.get(container)
    return found


def _long_edges(pairs: list[tuple[str, str]]) -> int:
    """About how many virtual nodes dot will route edges through.

    Each edge crosses the ranks between its ends (ranks by longest path, as dot
    ranks them); every rank crossed is a virtual node to order and route.
    """
    succ: dict[str, list[str]] = {}
    indeg: dict[str, int] = {}
    for a, b in pairs:
        succ.setdefault(a, []).append(b)
        indeg[b] = indeg.get(b, 0) + 1
        indeg.setdefault(a, 0)
    rank = dict.fromkeys(indeg, 0)
    ready = deque(item for item, n in indeg.items() if n == 0)
    while ready:
        item = ready.popleft()
        for nxt in succ.get(item, []):
            rank[nxt] = max(rank[nxt], rank[item] + 1)
            indeg[nxt] -= 1
            if indeg[nxt] == 0:
                ready.append(nxt)
    return sum(max(0, rank[b] - rank[a] - 1) for a, b in pairs)


def _edge_attrs(edges: list[Edge], members: list[int], labelled: bool) -> Attrs:
    tags = sorted({t for i in members for t in edges[i].tags})
    attrs = dict(_TAG_STYLE["update"]) if "update" in tags else {}
    attrs["id"] = f"tg-e{members[0]}"
    attrs["class"] = " ".join(["tg-edge"] + [_css(t) for t in tags])
    labels = {edges[i].label for i in members}
    if labelled and len(members) > 1:
        # one edge stands for all between two boxes: how many, and the biggest
        biggest = max(labels, key=_elements)
        text = f"{len(members)}{TIMES}" + (f" {_short(biggest, 24)}" if biggest else "")
        attrs["label"] = _text(text)
    elif labelled and len(labels) == 1 and (label := labels.pop()):
        attrs["label"] = _text(_short(label, 24))
    return attrs


_DIMS = re.compile(r"\[([\d,\s]*)\]")


def _elements(label: str) -> int:
    """Elements of the tensor an edge label names (``f32[8,16]`` -> 128; 1 for a scalar)."""
    found = _DIMS.search(label)
    if found is None:
        return 0 if not label else 1
    size = 1
    for dim in found.group(1).replace(" ", "").split(","):
        size *= int(dim) if dim else 1
    return size
