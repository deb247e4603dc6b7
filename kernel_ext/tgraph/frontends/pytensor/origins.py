"""The optimized and gradient views in the groups of the graph as written.

The graph as written is grouped by the user's calls (``tag.trace``) and a
PyMC model's terms. PyTensor clones a graph before rewriting it, and the
recorder notes, for each node a rewrite makes, the nodes of that clone it
stands for; the clone is matched back to the graph as written. A rewritten
node then sits in the innermost group holding all it stands for: a fusion
of two layers' ops sits on their common parent and says which it spans.

A gradient's nodes stand for the forward node whose ``L_op`` made them,
read while ``pytensor.grad`` runs, and sit in a backward pass beside the
forward one, in copies of the same groups: the backward of layer 3 opens
as layer 3.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from pytensor.graph.basic import Apply, Variable
from pytensor.graph.traversal import ancestors

from ...graph import Graph, Subgraph
from ...structure import common_prefix, group_names, mirror, place_constants

if TYPE_CHECKING:
    from .rewrites import Recorded

Chain = tuple[str, ...]
#: Where each node of a view stands for: the chains of the groups of the nodes it came from.
ChainsOf = Callable[[Apply], list[Chain]]
#: The graph as written and its ids, drawn on demand (None when it could not be).
AsWritten = Callable[[], "tuple[Graph, dict[Any, str]] | None"]
#: Puts one drawing (a view, or a step of its rewrites) of a rewritten graph in groups.
Place = Callable[[Graph, dict[Any, str]], None]


def copies(
    starts: Sequence[Variable], inputs: dict[Apply, tuple[Variable, ...]], ends: Sequence[Variable]
) -> dict[Apply, Apply]:
    """Each node of the graph before rewriting -> the node of ``ends``' graph it is a copy of.

    ``starts`` are that graph's outputs and ``inputs`` its nodes' inputs as
    first seen; both graphs are walked together from the outputs, stopping
    where they differ (a given replaced a variable).
    """
    found: dict[Apply, Apply] = {}
    todo = list(zip(starts, ends, strict=False))
    while todo:
        start, end = todo.pop()
        a, b = start.owner, end.owner
        if a is None or b is None or a in found or a.op != b.op:
            continue
        first = inputs.get(a, tuple(a.inputs))
        if len(first) != len(b.inputs):
            continue
        found[a] = b
        todo.extend(zip(first, b.inputs, strict=True))
    return found


@dataclass
class Written:
    """The groups of the graph as written, and the chain of each of its nodes."""

    groups: list[Subgraph]
    chains: dict[Apply, Chain]


def written(graph: Graph, ids: dict[Any, str]) -> Written | None:
    """What placing another view needs of the graph as written; None without groups."""
    up: dict[str, str | None] = {s.id: s.parent for s in graph.subgraphs}
    up.update({n.id: n.parent for n in graph.nodes})
    chains: dict[Apply, Chain] = {}
    for key, item in ids.items():
        if not isinstance(key, Apply):
            continue
        chain: list[str] = []
        cur = up.get(ids.get(("subgraph", key), item))
        while cur is not None:
            chain.append(cur)
            cur = up.get(cur)
        chains[key] = tuple(reversed(chain))
    if not any(chains.values()):
        return None
    held = {g for chain in chains.values() for g in chain}
    return Written([s for s in graph.subgraphs if s.id in held], chains)


def rewritten(
    written: Written, origins: dict[Apply, frozenset[Apply]], copied: dict[Apply, Apply]
) -> ChainsOf:
    """Chains of a rewritten node: those of the nodes as written it stands for."""

    def chains_of(apply: Apply) -> list[Chain]:
        found = []
        for start in origins.get(apply, ()):
            chain = written.chains.get(copied.get(start))
            if chain is not None:
                found.append(chain)
        return found

    return chains_of


FORWARD, BACKWARD, UPDATE = "forward", "backward", "update"


def passes(written: Written, update: bool = False) -> list[Subgraph]:
    """The forward and backward passes of a gradient, each with a copy of the
    groups (a training step's passes left out), and the update pass if asked."""
    groups = [s for s in written.groups if s.kind != "pass"]
    kept = {s.id for s in groups}
    out = []
    for name in (FORWARD, BACKWARD):
        attrs = {"order": "reversed"} if name == BACKWARD else {}
        out.append(Subgraph(name, name, "pass", None, attrs))
        for sub in groups:
            parent = f"{name}/{sub.parent}" if sub.parent in kept else name
            out.append(Subgraph(f"{name}/{sub.id}", sub.label, sub.kind, parent, dict(sub.attrs)))
    if update:
        out.append(Subgraph(UPDATE, UPDATE, "pass", None, {}))
    return out


def _in_pass(name: str, chain: Chain, written: Written) -> Chain:
    passes = {s.id for s in written.groups if s.kind == "pass"}
    return (name, *(f"{name}/{g}" for g in chain if g not in passes))


def split_passes(graph: Graph, ids: dict[Any, str], maker: Callable[[Apply], Apply | None]) -> None:
    """A training step as written in three passes: forward, backward (each op
    of the gradient in the groups of the forward op it differentiates) and
    the update, what is computed from the gradient.

    ``maker`` says which forward node's gradient made a node (None: not a
    gradient's). Nothing changes for a graph without gradient nodes, nor
    for one without groups (a tutorial's few ops stay in sight).
    """
    applies = [k for k in ids if isinstance(k, Apply)]  # in topological order
    made = {a: m for a in applies if (m := maker(a)) is not None}
    found = written(graph, ids) if made else None
    if found is None:
        return
    after: set[Apply] = set()
    for apply in applies:
        if apply not in made and any(i.owner in made or i.owner in after for i in apply.inputs):
            after.add(apply)

    def chains_of(apply: Apply) -> list[Chain]:
        if apply in made:
            return [_in_pass(BACKWARD, found.chains.get(made[apply], ()), found)]
        if apply in after:
            return [(UPDATE,)]
        return [_in_pass(FORWARD, found.chains.get(apply, ()), found)]

    old = {s.id for s in found.groups}
    graph.subgraphs = [s for s in graph.subgraphs if s.id not in old]
    for node in graph.nodes:
        node.parent = None if node.parent in old else node.parent
    for sub in graph.subgraphs:
        sub.parent = None if sub.parent in old else sub.parent
    groups = passes(found, update=bool(after))
    place(graph, ids, chains_of, groups)


def differentiated(
    written: Written,
    origins: dict[Apply, frozenset[Apply]],
    copied: dict[Apply, Apply],
    forward: set[Apply],
    made: dict[Apply, Apply],
) -> ChainsOf:
    """Chains of a gradient's node: in the forward pass as written, or in the
    backward pass, in the groups of the forward node whose gradient made it."""

    def chain(node: Apply) -> Chain:
        if node in forward:
            return _in_pass(FORWARD, written.chains.get(node, ()), written)
        maker = made.get(node)
        below = written.chains.get(maker, ()) if maker is not None else ()
        return _in_pass(BACKWARD, below, written)

    def chains_of(apply: Apply) -> list[Chain]:
        return [chain(copied[s]) for s in origins.get(apply, ()) if s in copied]

    return chains_of


def place(graph: Graph, ids: dict[Any, str], chains_of: ChainsOf, groups: list[Subgraph]) -> None:
    """Move the top-level items of a view into copies of ``groups``.

    Each sits in the innermost group holding all it stands for; one that
    stands for nothing grouped (a node a rewrite made from constants) joins
    the groups of its users, else of its operands.
    """
    labels = {s.id: s.label for s in groups}
    nodes = {n.id: n for n in graph.nodes}
    subs = {s.id: s for s in graph.subgraphs}
    homes: dict[str, Chain] = {}
    for key, item in ids.items():
        if not isinstance(key, Apply):
            continue
        top = ids.get(("subgraph", key), item)
        chains = chains_of(key)
        if not chains:
            continue
        home = tuple(common_prefix(chains))
        spanned = sorted({labels[c[len(home)]] for c in chains if len(c) > len(home)})
        if len(spanned) > 1:
            held = subs[top].attrs if top in subs else nodes[top].attrs
            held["spans"] = ", ".join(spanned[:6]) + (" …" if len(spanned) > 6 else "")
        homes[top] = home
    _neighbours(graph, ids, homes)
    mirror(graph, groups, homes)
    place_constants(graph)
    for kind in ("input", "shared", "output"):
        group_names(graph, kind)


def _neighbours(graph: Graph, ids: dict[Any, str], homes: dict[str, Chain]) -> None:
    """Homes for the ops that stand for nothing grouped, from their neighbours'."""
    tops = {ids.get(("subgraph", k), i) for k, i in ids.items() if isinstance(k, Apply)}
    users: dict[str, list[str]] = {}
    makers: dict[str, list[str]] = {}
    for edge in graph.edges:
        users.setdefault(edge.src, []).append(edge.dst)
        makers.setdefault(edge.dst, []).append(edge.src)
    for around in (users, makers):
        for item in tops - homes.keys():
            chains = [homes[n] for n in around.get(item, []) if n in homes]
            if chains:
                homes[item] = tuple(common_prefix(chains))


def rewritten_placer(
    as_written: tuple[Graph, dict[Any, str]] | None, recorded: Recorded, ends: Sequence[Variable]
) -> Place | None:
    """Places the drawings of ``recorded`` (the graph as written's ``ends``, rewritten)."""
    found = written(*as_written) if as_written is not None else None
    if found is None:
        return None
    history = recorded.history
    chains_of = rewritten(found, recorded.origins, copies(history.outputs, history.inputs, ends))
    return lambda graph, ids: place(graph, ids, chains_of, found.groups)


def gradient_placer(
    as_written: tuple[Graph, dict[Any, str]] | None,
    recorded: Recorded,
    grads: Sequence[Variable],
    cost: Variable,
    made: dict[Apply, Apply],
) -> Place | None:
    """Places the drawings of a rewritten gradient of ``cost`` in a forward and a backward pass."""
    found = written(*as_written) if as_written is not None else None
    if found is None:
        return None
    forward = {v.owner for v in ancestors([cost]) if v.owner is not None}
    history = recorded.history
    copied = copies(history.outputs, history.inputs, grads)
    chains_of = differentiated(found, recorded.origins, copied, forward, made)
    groups = passes(found)
    return lambda graph, ids: place(graph, ids, chains_of, groups)
