"""Where the compiled view's data movement sits: copies, tuples and their elements.

XLA adds instructions that only move data: a parameter copied to an output
(a model's state handed back by ``nnx.jit``), the tuple of results, and on
the GPU a tuple of every result read back element by element
(``get-tuple-element``) before the copies. A multi-output fusion's results
are read the same way. None of them is an equation of the program, so they
sit with what they move: the element a ``get-tuple-element`` reads, the
parameter a copy copies, the instructions a tuple gathers.
"""

from __future__ import annotations

from ...graph import Graph, Node
from ...structure import GROUP_KINDS, common_prefix

#: Instructions that only move data: XLA adds them (a parameter copied to an
#: output, the tuple of results) and no op name of the program names them.
MOVES = frozenset({"copy", "bitcast", "tuple", "get-tuple-element"})


def tuple_elements(hlo: Graph, fusions: set[str]) -> dict[str, str]:
    """Each ``get-tuple-element`` of a tuple -> the item that tuple holds at its index.

    Only tuples of the entry computation and the roots of ``fusions``: a
    loop's tuple carries its state around, which is the loop's own.
    """
    nodes = {n.id: n for n in hlo.nodes}
    operands: dict[str, dict[int, str]] = {}
    read: dict[str, str] = {}
    for edge in hlo.edges:
        src, dst = nodes.get(edge.src), nodes.get(edge.dst)
        if dst is not None and dst.op == "tuple":
            operands.setdefault(edge.dst, {})[edge.slot] = edge.src
        if dst is None or src is None or dst.op != "get-tuple-element" or src.op != "tuple":
            continue
        if src.parent is None or src.parent in fusions:
            read[dst.id] = src.id
    found: dict[str, str] = {}
    for gte, held in read.items():
        index = nodes[gte].attrs.get("index", "")
        element = operands.get(held, {}).get(int(index)) if index.isdigit() else None
        if element is not None:
            found[gte] = element
    return found


def place_moves(hlo: Graph, elements: dict[str, str]) -> None:
    """Data movement left at the top level sits with what it moves.

    A move is looked through (a copy to what it copies, an element read to
    the element, a tuple to all it gathers) down to parameters and the
    instructions that compute. Moving only parameters of one group (a
    model's state), it sits in that group; else in the innermost group
    around the instructions it moves, else around those it feeds. The top
    level keeps only real boundaries.
    """
    moves = [n.id for n in hlo.nodes if n.parent is None and n.kind == "op" and _boundary(n)]
    if not moves:  # the usual case: nothing to read the edges for
        return
    up = {s.id: s.parent for s in hlo.subgraphs}
    groups = {s.id for s in hlo.subgraphs if s.kind in GROUP_KINDS}
    nodes = {n.id: n for n in hlo.nodes}
    preds: dict[str, list[str]] = {}
    succs: dict[str, list[str]] = {}
    for edge in hlo.edges:
        preds.setdefault(edge.dst, []).append(edge.src)
        succs.setdefault(edge.src, []).append(edge.dst)
    origins: dict[str, set[str]] = {}

    def param(item: str) -> bool:  # of the program (a fusion's parameters are fed)
        return item in nodes and nodes[item].kind == "input" and not preds.get(item)

    def moved(item: str) -> set[str]:
        """The parameters and computing instructions ``item`` moves (itself if it computes)."""
        node = nodes.get(item)
        if node is None or param(item) or not _boundary(node):
            return {item}
        if item not in origins:
            origins[item] = set()  # a cycle, were there one, ends here
            fed = [elements[item]] if item in elements else preds.get(item, [])
            origins[item] = set().union(*(moved(p) for p in fed))
        return origins[item]

    def where(item: str) -> str | None:
        return nodes[item].parent if item in nodes else up.get(item)

    def home(items: list[str]) -> str | None:
        chains = [_chain_of(where(i), up, groups) for i in items]
        common = common_prefix(chains)
        return common[-1] if common else None

    for move in moves:
        found = moved(move)
        params = {where(p) for p in found if param(p)}
        real = [p for p in found if not param(p)]
        if real:
            nodes[move].parent = home(real)
        elif len(params) == 1:
            nodes[move].parent = params.pop()
    for move in moves:  # else the group of those it feeds (a parameter's bitcast)
        feeds = [i for i in succs.get(move, []) if i not in nodes or not _boundary(nodes[i])]
        if nodes[move].parent is None and feeds:
            nodes[move].parent = home(feeds)


def _boundary(node: Node) -> bool:
    """A parameter, an output, or data movement that went with one."""
    return node.kind in ("input", "output") or (node.op in MOVES and not node.attrs.get("op_name"))


def _chain_of(item: str | None, up: dict[str, str | None], groups: set[str]) -> tuple[str, ...]:
    """The groups around ``item``, outermost first (fusions and loops skipped)."""
    chain: list[str] = []
    cur: str | None = item
    while cur is not None:
        if cur in groups:
            chain.append(cur)
        cur = up.get(cur)
    return tuple(reversed(chain))
