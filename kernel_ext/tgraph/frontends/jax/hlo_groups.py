"""The compiled view in the groups of the graph as written.

Each HLO instruction names, in its metadata, the equation it came from: the
op name (``jit(step)/transpose(jvp())/dot_general``) and the source line.
One line of a layer called 24 times is 24 equations, so the instruction is
matched to the one its operands come from: the candidate the operands'
equations feed directly, else the one sharing the deepest group with them.
Instructions then sit in the groups of their equations, mirrored from the
graph as written (same ids, labels and folds); a fusion sits in the
innermost group holding all it fused (a GPU matmul kernel in its product's),
and names the groups it spans.
"""

from __future__ import annotations

from collections.abc import Iterable

from ...graph import Graph, Subgraph
from ...structure import (
    GROUP_KINDS,
    common_prefix,
    fold_repeats,
    group_names,
    mirror,
    place_constants,
)
from .hlo_moves import place_moves, tuple_elements


class _Original:
    """What the placement needs of the graph as written."""

    def __init__(self, graph: Graph) -> None:
        self.subs = {s.id: s for s in graph.subgraphs}
        self.nodes = {n.id: n for n in graph.nodes}
        direct: dict[str, set[str]] = {}
        for edge in graph.edges:
            direct.setdefault(edge.src, set()).add(edge.dst)
        # a nested jit's boundary nodes are not equations XLA keeps: look through them
        through = {n.id for n in graph.nodes if n.kind in ("input", "output") and n.parent}
        self.succ: dict[str, set[str]] = {}
        for src, dsts in direct.items():
            found: set[str] = set()
            todo = list(dsts)
            while todo:
                dst = todo.pop()
                if dst in found:
                    continue
                found.add(dst)
                if dst in through:
                    todo.extend(direct.get(dst, ()))
            self.succ[src] = found
        self.order = {n.id: i for i, n in enumerate(graph.nodes)}
        self._candidates: dict[tuple[str, str], tuple[list[str], dict[str, list[str]]]] = {}
        self.inputs = {n.label or n.name: n.id for n in graph.nodes if n.kind == "input"}
        self._chains: dict[str | None, tuple[str, ...]] = {None: ()}

    def chain(self, item: str | None) -> tuple[str, ...]:
        """The groups around ``item``, outermost first (containers skipped)."""
        if item in self._chains:
            return self._chains[item]
        node = self.nodes.get(item or "")
        up = node.parent if node is not None else self.subs[item].parent if item else None
        found = self.chain(up)
        if item in self.subs and self.subs[item].kind in GROUP_KINDS:
            found = (*found, item)
        self._chains[item] = found
        return found


def _candidates(orig: _Original, linked: str, scope: str) -> tuple[list[str], dict[str, list[str]]]:
    """The equations of one op name's line and scope, and which lie in each group.

    Each equation is a key too (for membership). Every layer of a loop shares
    the line, so the many instructions of one line share this: it is made once.
    """
    key = (linked, scope)
    if key not in orig._candidates:
        found = [c for c in linked.split(",") if c in orig.nodes and _scope_of(orig, c) == scope]
        by_group: dict[str, list[str]] = {c: [c] for c in found}
        for c in found:
            for g in orig.chain(c):
                by_group.setdefault(g, []).append(c)
        orig._candidates[key] = (found, by_group)
    return orig._candidates[key]


def _scope(op_name: str) -> str:
    """``jit(step)/transpose(jvp())/dot_general`` -> ``transpose(jvp())``."""
    return op_name.partition("/")[2].rpartition("/")[0]


def _pass_of(orig: _Original, node: str) -> str:
    """The pass (forward, backward, update) an equation of the original sits in, or ""."""
    chain = orig.chain(node)
    first = orig.subs[chain[0]] if chain else None
    return first.label if first is not None and first.kind == "pass" else ""


def _scope_of(orig: _Original, node: str) -> str:
    return orig.nodes[node].attrs.get("scope", "")


def place(hlo: Graph, original: Graph) -> None:
    """Move ``hlo``'s instructions into mirrors of ``original``'s groups."""
    if not any(s.kind in GROUP_KINDS for s in original.subgraphs):
        return
    orig = _Original(original)
    rep, own = _link(hlo, orig)
    subs = {s.id: s for s in hlo.subgraphs}
    kinds: dict[str, str] = {n.id: n.kind for n in hlo.nodes}
    elements = tuple_elements(hlo, {s.id for s in hlo.subgraphs if s.kind == "fusion"})
    homes = _homes(hlo, orig, rep, own, subs, kinds, elements)
    _neighbours_home(hlo, homes, subs, kinds, orig)
    mirror(hlo, list(orig.subs.values()), homes)  # in the original's order: folds keep it
    place_constants(hlo)
    group_names(hlo, "input")
    place_moves(hlo, elements)
    fold_repeats(hlo, tag="x")  # runs of like fusions; r1... are the mirrored folds' ids


def _link(hlo: Graph, orig: _Original) -> tuple[dict[str, str], dict[str, tuple[str, ...]]]:
    """Each instruction's equation (also relayed through copies and fusion
    parameters), and the groups of those whose own metadata names one."""
    preds: dict[str, list[str]] = {}
    for edge in hlo.edges:
        preds.setdefault(edge.dst, []).append(edge.src)
    rep: dict[str, str] = {}
    own: dict[str, tuple[str, ...]] = {}
    for node in hlo.nodes:
        found, linked = _match(
            node.id, node.kind, node.parent, node.label, node.attrs, preds, rep, orig
        )
        if found is not None:
            rep[node.id] = found
            if linked:
                own[node.id] = orig.chain(found)
                # the one equation it stands for, not every layer's of its line
                node.attrs["jaxpr"] = found
                if node.source is None:  # XLA keeps ten frames; the equation has the cell's
                    node.source = orig.nodes[found].source
    return rep, own


def _homes(
    hlo: Graph,
    orig: _Original,
    rep: dict[str, str],
    own: dict[str, tuple[str, ...]],
    subs: dict[str, Subgraph],
    kinds: dict[str, str],
    elements: dict[str, str],
) -> dict[str, tuple[str, ...]]:
    """The group each top-level instruction or fusion belongs in.

    A result read out of a tuple (a multi-output fusion's) goes where the
    element it reads was computed: its op name is the fusion's, not its own.
    """
    ops = {n.id: n.op for n in hlo.nodes}
    kids: dict[str | None, list[str]] = {}
    top: dict[str, str] = {}  # any item -> the top-level item holding it
    for sub in hlo.subgraphs:
        kids.setdefault(sub.parent, []).append(sub.id)
        top[sub.id] = top.get(sub.parent or "", sub.id)
    for node in hlo.nodes:
        kids.setdefault(node.parent, []).append(node.id)
        top[node.id] = top.get(node.parent or "", node.id)

    def inside(sub: str) -> Iterable[str]:
        for kid in kids.get(sub, []):
            if kid in subs:
                yield from inside(kid)
            elif kid in own:
                yield kid

    homes: dict[str, tuple[str, ...]] = {}
    for item in kids.get(None, []):
        if item in subs:
            held = list(inside(item))
            if held:
                heroes = {own[m] for m in held if ops[m] in HEROES}
                homes[item] = _common_home([own[m] for m in held], heroes, subs[item], orig)
        elif item in elements:  # a parameter's stays: it goes with the parameter, later
            element = elements[item]
            found = own.get(element) or homes.get(top.get(element, ""))
            if found is not None:
                homes[item] = found
        elif kinds[item] not in ("input", "output"):
            if item in own:
                homes[item] = own[item]
            elif item in rep:
                homes[item] = orig.chain(rep[item])
    return homes


def _match(
    node: str,
    kind: str,
    parent: str | None,
    label: str,
    attrs: dict[str, str],
    preds: dict[str, list[str]],
    rep: dict[str, str],
    orig: _Original,
) -> tuple[str | None, bool]:
    """The equation (node of the graph as written) an instruction stands for."""
    sources = [rep[p] for p in preds.get(node, []) if p in rep]
    if kind == "input":
        if parent is None:
            return orig.inputs.get(label), False
        return (sources[0] if sources else None), False
    near: set[str] = set()  # the equations the operands' equations feed
    for s in sources:
        near |= orig.succ.get(s, set())
    op_name = attrs.get("op_name", "")
    scope = _scope(op_name)
    if not attrs.get("jaxpr"):
        # no cell line (library code deeper than the stack XLA keeps): the
        # equation of the same primitive and scope its operands feed
        op = op_name.rsplit("/", 1)[-1]
        fed = [c for c in near if orig.nodes[c].op == op]
        if not fed:  # one step further: XLA drops some (stop_gradient, converts)
            further: set[str] = set()
            for c in near:
                further |= orig.succ.get(c, set())
            fed = [c for c in further if orig.nodes[c].op == op]
        step = _pass(op_name)  # an equation of another pass is not this one
        fed = [c for c in fed if _pass_of(orig, c) == step] if step else fed
        if op_name and fed:
            return min(fed, key=orig.order.__getitem__), True
        return (sources[0] if sources else None), False
    candidates, by_group = _candidates(orig, attrs["jaxpr"], scope)
    if not candidates:  # the line's equations are all of another pass: none is this one
        del attrs["jaxpr"]
        return (sources[0] if sources else None), False
    if len(candidates) == 1 or not sources:
        return candidates[0], True
    fed = [c for c in near if c in by_group]
    if fed:
        return min(fed, key=orig.order.__getitem__), True
    # else the candidate in the innermost group around one of the operands
    best, depth = candidates[0], -1
    for s in sources:
        chain = orig.chain(s)
        for at in range(len(chain) - 1, depth, -1):
            found = by_group.get(chain[at])
            if found:
                best, depth = found[0], at
                break
    return best, True


#: The instructions a fusion is built around when it holds one: XLA's GPU
#: matmul kernels fuse the elementwise work before and after the product.
HEROES = frozenset({"dot", "convolution"})


def _common_home(
    found: list[tuple[str, ...]],
    heroes: set[tuple[str, ...]],
    sub: Subgraph,
    orig: _Original,
) -> tuple[str, ...]:
    """The innermost group holding what a fusion computes; it says what else it spans.

    XLA copies cheap producers into their consumers' fusions (a forward
    product recomputed inside a backward fusion), so the fusion goes where
    its result belongs, the top-level group of its root, and names any
    other group it reaches into. A matmul kernel (one product, with a layer
    norm's scaling before it or an activation after) goes in the group of its
    product, ``up`` of a block, and names the groups whose work it took in.
    """
    found = [c for c in found if c] or [()]
    root = found[-1]  # a computation's root comes last
    own = [c for c in found if c[:1] == root[:1]]
    common = tuple(common_prefix(own))
    spanned = {c[len(common)] for c in own if len(c) > len(common)}
    spanned |= {c[0] for c in found if c[:1] != root[:1]}
    hero = next(iter(heroes)) if len(heroes) == 1 else ()
    if hero[:1] == root[:1] and len(hero) > len(common):
        if any(c[: len(hero)] != hero for c in found):
            if common and any(c == common for c in own):  # its own work too
                spanned.add(common[-1])
            sub.attrs["spans"] = _labels(spanned, orig)
        return hero
    if len(spanned) > 1 or any(c[:1] != root[:1] for c in found):
        sub.attrs["spans"] = _labels(spanned, orig)
    return common


def _labels(groups: set[str], orig: _Original) -> str:
    labels = sorted({orig.subs[g].label for g in groups})
    return ", ".join(labels[:6]) + (" …" if len(labels) > 6 else "")


def _neighbours_home(
    hlo: Graph,
    homes: dict[str, tuple[str, ...]],
    subs: dict[str, Subgraph],
    kinds: dict[str, str],
    orig: _Original,
) -> None:
    """An instruction no equation names (a broadcast XLA made) joins its users' group,
    else its operands'; of the pass its op name says, where the neighbours differ."""
    top: dict[str, str] = {}  # any item -> the top-level item holding it
    for node in hlo.nodes:
        cur: str | None = node.parent
        last = node.id
        while cur is not None and cur in subs:
            last, cur = cur, subs[cur].parent
        top[node.id] = last
    users: dict[str, list[str]] = {}
    makers: dict[str, list[str]] = {}
    for edge in hlo.edges:
        a, b = top.get(edge.src), top.get(edge.dst)
        if a is not None and b is not None and a != b:
            users.setdefault(a, []).append(b)
            makers.setdefault(b, []).append(a)
    items = [s.id for s in hlo.subgraphs if s.parent is None]
    items += [
        n.id for n in hlo.nodes if n.parent is None and kinds[n.id] not in ("input", "output")
    ]
    passes = {s.label: s.id for s in orig.subs.values() if s.kind == "pass"}
    names = {n.id: n.attrs.get("op_name", "") for n in hlo.nodes}
    names.update({s.id: s.attrs.get("op_name", "") for s in hlo.subgraphs})
    for around in (users, makers):
        for item in items:
            chains = [homes[u] for u in around.get(item, []) if homes.get(u)]
            if item in homes or not chains:
                continue
            step = _pass(names.get(item, ""))
            mine = [c for c in chains if orig.subs[c[0]].label == step]
            if step and not mine and step in passes:  # its pass, though no neighbour is there
                mine = [(passes[step],)]
            homes[item] = tuple(common_prefix(mine or chains))


def _pass(op_name: str) -> str:
    """The pass an op name says an instruction belongs to (JAX's naming)."""
    if "transpose(" in op_name:
        return "backward"
    return "forward" if "jvp(" in op_name else ""
