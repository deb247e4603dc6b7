"""Which boxes a graph is drawn as: its subgraphs, and groups made up for flat graphs.

Every subgraph starts collapsed at every depth, so Graphviz never sees more
than a few hundred nodes at once. Flat graphs that are too wide for that
get synthetic "group" subgraphs by topological order, decided from the
graph alone so group ids stay stable across calls.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass

from .graph import Edge, Graph, Subgraph

#: A container (the root or a subgraph) with more direct children than this
#: is split into groups of ``LEAF_GROUP``, and those into at most ``MAX_GROUPS``
#: groups of groups, so each expansion adds at most about a hundred boxes.
GROUP_THRESHOLD = 200
#: Children per group at the lowest group level.
LEAF_GROUP = 100
#: Groups side by side at one level. Few boxes keep the edges between them
#: few: 100 boxes of a random 10k-node graph carry 3,500 edges and take dot 12 s.
MAX_GROUPS = 24


@dataclass
class Tree:
    """Containment of nodes and subgraphs, including synthetic groups."""

    parent: dict[str, str | None]
    children: dict[str | None, list[str]]
    subs: dict[str, Subgraph]
    groups: list[Subgraph]
    #: Positions (1-based, in topological order) each synthetic group covers.
    spans: dict[str, tuple[int, int]]


def build_tree(graph: Graph) -> Tree:
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
    tree = Tree(parent, children, subs, [], {})
    for container in [None, *subs]:
        if len(tree.children[container]) > GROUP_THRESHOLD:
            _split(tree, graph.edges, container, LEAF_GROUP)
            while len(tree.children[container]) > MAX_GROUPS:
                size = math.ceil(len(tree.children[container]) / MAX_GROUPS)
                _split(tree, graph.edges, container, size)
    return tree


def _split(tree: Tree, edges: list[Edge], container: str | None, size: int) -> None:
    """Replace a container's children by groups of consecutive topological order."""
    members = tree.children[container]
    order = topological(members, child_edges(tree, edges, container))
    count = len(order)
    bands = math.ceil(count / size)
    prefix = "" if container is None else container + "/"
    groups: list[str] = []
    for band in range(bands):
        chunk = order[band * count // bands : (band + 1) * count // bands]
        spans = [tree.spans[m] for m in chunk if m in tree.spans]
        if len(spans) == len(chunk):  # a group of groups covers its members' spans
            lo, hi = spans[0][0], spans[-1][1]
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


def child_edges(tree: Tree, edges: list[Edge], container: str | None) -> list[tuple[str, str]]:
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
            if up is not None:
                seen.append(up)
        for s in seen:
            memo[s] = found
        return found

    pairs = []
    for e in edges:
        a, b = child_of(e.src), child_of(e.dst)
        if a is not None and b is not None and a != b:
            pairs.append((a, b))
    return pairs


def topological(items: list[str], pairs: list[tuple[str, str]]) -> list[str]:
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


def op_counts(graph: Graph, tree: Tree) -> dict[str, int]:
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
