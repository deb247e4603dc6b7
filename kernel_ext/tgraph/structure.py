"""Groups that follow the program's own structure: calls, modules, passes, repeats.

A frontend knows, for each operation, the chain of places it ran in: the
pass of a training step (forward, backward, update), the module scopes, the
function calls from the traced function down. This module turns those chains
into nested subgraphs of the graph model, and folds identical groups that
follow each other (24 layers written as a loop) into one "block x24" box whose
instances open one by one. It knows no framework: levels are opaque keys, and
repeats are found by structure (the same ops and shapes), not by name.
"""

from __future__ import annotations

import re
import sysconfig
from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TypeVar

from .graph import Graph, Node, Subgraph

_T = TypeVar("_T")

#: The sign between a repeat's label and its count.
TIMES = "\N{MULTIPLICATION SIGN}"
#: Folding tries repeating runs of up to this many sibling groups (a layer of
#: eight parameters updated one by one repeats with period eight).
MAX_PERIOD = 16
#: Up to this many inputs (or outputs) stay loose at the top: grouping them
#: would only add a click.
LOOSE_NAMES = 8
#: Past this many children only runs of single groups are looked for.
MAX_SCAN = 2000
_STDLIB = tuple({sysconfig.get_paths()["stdlib"] + "/", sysconfig.get_paths()["platstdlib"] + "/"})
#: The kinds of subgraph this module makes (others are the program's own containers).
GROUP_KINDS = frozenset({"pass", "call", "module", "repeat", "instance"})


def library_of(file_name: str) -> str:
    """The installed package a file belongs to ("flax", "optax"; "python" for
    the standard library), or "" for the user's code."""
    for marker in ("site-packages/", "dist-packages/"):
        at = file_name.rfind(marker)
        if at >= 0:
            return file_name[at + len(marker) :].split("/", 1)[0]
    return "python" if file_name.startswith(_STDLIB) else ""


@dataclass(frozen=True)
class Level:
    """One level of an operation's place in the program: a pass, a scope, a call.

    Consecutive operations whose levels have equal ``key`` share the group of
    that level, unless ``at`` steps back: ``at`` is the operation's position
    in the level's own code (a bytecode offset), and a step back means the
    same code was called again (the next iteration of a Python loop), except
    within ``loop``, the span of a loop inside that code.
    """

    key: Hashable
    label: str
    kind: str
    at: int = 0
    loop: tuple[int, int] | None = None
    attrs: tuple[tuple[str, str], ...] = ()

    def continues(self, previous: Level) -> bool:
        """Whether an operation at ``self`` is still in the call ``previous`` was in."""
        if self.key != previous.key:
            return False
        if self.at >= previous.at:
            return True
        span = self.loop
        return span is not None and span[0] <= self.at and previous.at <= span[1]


@dataclass
class _Tree:
    """Children of each container (None is the top), in graph order."""

    children: dict[str | None, list[str]] = field(default_factory=dict)
    subs: dict[str, Subgraph] = field(default_factory=dict)

    def add(self, parent: str | None, item: str) -> None:
        self.children.setdefault(parent, []).append(item)


def group(
    graph: Graph,
    places: dict[str, list[Level]],
    fold: bool = True,
    order: dict[str, int] | None = None,
) -> Graph:
    """Nest ``graph``'s items in groups following ``places``, then fold repeats.

    ``places`` maps node and subgraph ids, in the order the program ran them,
    to their levels below the container they were drawn in. Constants move
    into the group of their consumers; the top's inputs and outputs are
    grouped by the names of their pytree paths (``params['layers'][3]``).
    ``order`` ranks items in the order the program made them, where the
    graph's own node order (topological) is not that order.
    """
    by_container: dict[str | None, list[tuple[str, list[Level]]]] = {}
    parents = {n.id: n.parent for n in graph.nodes}
    parents.update({s.id: s.parent for s in graph.subgraphs})
    for item, levels in places.items():
        if item in parents:
            by_container.setdefault(parents[item], []).append((item, levels))
    moved: dict[str, str] = {}
    for container, items in by_container.items():
        moved.update(_nest(graph, container, items))
    for node in graph.nodes:
        if node.id in moved:
            node.parent = moved[node.id]
    for sub in graph.subgraphs:
        if sub.id in moved:
            sub.parent = moved[sub.id]
    place_constants(graph)
    for kind in ("input", "shared", "output"):
        group_names(graph, kind)
    if fold:
        fold_repeats(graph, order=order)
    return graph


def _nest(
    graph: Graph, container: str | None, items: list[tuple[str, list[Level]]]
) -> dict[str, str]:
    """Groups for one container's items; returns item -> its new parent."""
    moved: dict[str, str] = {}
    open_: list[tuple[Level, str]] = []
    count = 0
    prefix = "" if container is None else container + "/"
    for item, levels in items:
        depth = 0
        while (
            depth < len(open_) and depth < len(levels) and levels[depth].continues(open_[depth][0])
        ):
            open_[depth] = (levels[depth], open_[depth][1])
            depth += 1
        del open_[depth:]
        for level in levels[depth:]:
            count += 1
            gid = f"{prefix}g{count}"
            parent = open_[-1][1] if open_ else container
            graph.subgraphs.append(
                Subgraph(gid, level.label, level.kind, parent, dict(level.attrs))
            )
            open_.append((level, gid))
        if open_:
            moved[item] = open_[-1][1]
    return moved


def place_constants(graph: Graph) -> None:
    """A constant sits in the innermost group holding all its consumers."""
    up = {s.id: s.parent for s in graph.subgraphs}
    kinds = {s.id: s.kind for s in graph.subgraphs}
    where = {n.id: n.parent for n in graph.nodes}
    constants = {n.id for n in graph.nodes if n.kind == "constant"}
    consumers: dict[str, set[str | None]] = {}
    for edge in graph.edges:
        if edge.src in constants:
            consumers.setdefault(edge.src, set()).add(where.get(edge.dst))
    chains: dict[str | None, list[str]] = {}

    def chain(item: str | None) -> list[str]:
        if item not in chains:
            chains[item] = chain_of(item, up)
        return chains[item]

    for node in graph.nodes:
        if node.id not in consumers:
            continue
        homes = list(consumers[node.id])
        if len(homes) == 1 and homes[0] == node.parent:
            continue
        common = common_prefix([chain(h) for h in homes])
        start = chain(node.parent)
        # only ever into groups below where the frontend put it, never into an inner graph
        if common[: len(start)] != start:
            continue
        depth = len(start)
        while depth < len(common) and kinds[common[depth]] in GROUP_KINDS:
            depth += 1
        if depth > len(start):
            node.parent = common[depth - 1]


def chain_of(item: str | None, up: Mapping[str, str | None]) -> list[str]:
    """``item`` and the containers around it (``up``: id -> parent), outermost first."""
    chain: list[str] = []
    while item is not None:
        chain.append(item)
        item = up.get(item)
    chain.reverse()
    return chain


def common_prefix(chains: Sequence[Sequence[_T]]) -> list[_T]:
    """What every chain of groups (outermost first) starts with: where they all sit."""
    common = list(chains[0]) if chains else []
    for other in chains[1:]:
        n = 0
        for x, y in zip(common, other, strict=False):
            if x != y:
                break
            n += 1
        del common[n:]
    return common


def mirror(graph: Graph, groups: Sequence[Subgraph], homes: Mapping[str, Sequence[str]]) -> None:
    """Copies of the ``groups`` that ``homes`` name, with each item moved in.

    ``homes`` maps a node or subgraph id of ``graph`` to the chain of group
    ids (outermost first) it belongs in. ``groups`` come from another view
    (the graph as written), in its order, so folds keep their order and ids.
    """
    needed: dict[str, str | None] = {}
    for chain in homes.values():
        for i, gid in enumerate(chain):
            needed[gid] = chain[i - 1] if i else None
    subs = {s.id: s for s in graph.subgraphs}
    nodes = {n.id: n for n in graph.nodes}
    for sub in groups:
        if sub.id in needed:
            graph.subgraphs.append(
                Subgraph(sub.id, sub.label, sub.kind, needed[sub.id], dict(sub.attrs))
            )
    for item, chain in homes.items():
        if chain:
            moved = subs.get(item) or nodes[item]
            moved.parent = chain[-1]


_PART = re.compile(r"\[[^\]]*\]|\.[A-Za-z_]\w*")


def _parts(name: str) -> list[str]:
    """``params['layers'][3]['wq']`` -> ``params``, ``['layers']``, ``[3]``, ``['wq']``."""
    head = re.match(r"[^\[.]*", name)
    first = head.group(0) if head else ""
    rest = name[len(first) :]
    parts = _PART.findall(rest)
    if "".join(parts) != rest:
        return [name]
    return [first, *parts] if first else parts


def group_names(graph: Graph, kind: str) -> None:
    """Top-level ``kind`` nodes named by pytree paths, grouped by shared prefixes.

    A prefix shared by at least two nodes becomes a group labelled with it:
    a model's 194 parameter arrays read as ``params`` → ``['layers']`` →
    ``[3]`` instead of 194 loose ovals.
    """
    nodes = [n for n in graph.nodes if n.kind == kind and n.parent is None]
    if len(nodes) <= LOOSE_NAMES:
        return
    split = {n.id: _parts(n.label or n.name) for n in nodes}
    below: dict[tuple[str, ...], set[str]] = {}  # prefix -> the parts that follow it
    for parts in split.values():
        for i in range(1, len(parts)):
            below.setdefault(tuple(parts[:i]), set()).add(parts[i])
    ids: dict[tuple[str, ...], str] = {}
    for node in nodes:
        parts = split[node.id]
        parent: str | None = None
        for i in range(1, len(parts)):
            prefix = tuple(parts[:i])
            if len(below[prefix]) < 2:  # model -> model.states: no level of its own
                continue
            if prefix not in ids:
                ids[prefix] = f"{kind}s/{len(ids)}"
                label = "".join(prefix)
                graph.subgraphs.append(
                    Subgraph(ids[prefix], label, kind + "s", parent, {"path": label})
                )
            parent = ids[prefix]
        node.parent = parent
    _gather(graph, [n for n in nodes if n.parent is None], kind)


#: What a box gathering many loose nodes of a kind is called, and its kind.
_GATHERED = {
    "input": ("inputs", "inputs"),
    "shared": ("shared variables", "inputs"),
    "output": ("outputs", "outputs"),
}


def _gather(graph: Graph, loose: list[Node], kind: str) -> None:
    """Past ``LOOSE_NAMES``, loose nodes whose names share no path (a layer's
    ``W3``, ``b3``) go in one box each for values and for updates."""
    label, box = _GATHERED.get(kind, (kind + "s", kind + "s"))
    for update in (False, True):
        members = [n for n in loose if ("update" in n.tags) == update]
        if len(members) <= LOOSE_NAMES:
            continue
        name = "updates" if update else label
        gid = f"{kind}s/{name}"
        graph.subgraphs.append(Subgraph(gid, f"{name} ({len(members)})", box, None, {}))
        for node in members:
            node.parent = gid


# --------------------------------------------------------------------------- folding


def fold_repeats(graph: Graph, tag: str = "r", order: dict[str, int] | None = None) -> None:
    """Runs of structurally identical sibling groups become one repeat group ("block x24").

    The repeat's instances are its children, in order, each still openable;
    a run of several different groups repeating together (a layer's eight
    parameter updates, 24 times) folds into instances of their own. The
    longest run is folded first, then what lies either side of it. Repeat
    ids are ``<container>/<tag><n>``: a view folded again after copying
    another's groups passes a tag of its own.
    """
    tree = _Tree(subs={s.id: s for s in graph.subgraphs})
    for sub in graph.subgraphs:
        tree.add(sub.parent if sub.parent in tree.subs else None, sub.id)
    for node in graph.nodes:
        tree.add(node.parent if node.parent in tree.subs else None, node.id)
    nodes = {n.id: n for n in graph.nodes}
    _in_program_order(graph, tree, order)
    signatures: dict[str, int] = {}

    def signature(item: str) -> int:
        if item not in signatures:
            node = nodes.get(item)
            if node is not None:
                sig = hash((node.kind, node.op, node.shape, node.dtype))
            else:
                kids = tree.children.get(item, [])
                sig = hash((tree.subs[item].kind, tuple(signature(c) for c in kids)))
            signatures[item] = sig
        return signatures[item]

    work: list[str | None] = [None, *(s.id for s in graph.subgraphs)]
    while work:
        container = work.pop()
        kids = tree.children.get(container, [])
        if container is not None and tree.subs[container].kind == "repeat":
            continue  # its children are a fold's instances already
        if sum(1 for k in kids if k in tree.subs) >= 2:
            folder = _Folder(graph, tree, container, signature, tag)
            folder.fold(kids)
            work.extend(folder.instances)


def _in_program_order(graph: Graph, tree: _Tree, order: dict[str, int] | None) -> None:
    """Sort each container's children by the first node they hold (nodes are
    in the order the program made them, unless ``order`` ranks them)."""
    first: dict[str, int] = dict(order) if order else {n.id: i for i, n in enumerate(graph.nodes)}
    never = max(first.values(), default=0) + 1

    def rank(item: str) -> int:
        if item not in first:
            first[item] = never  # an empty box, or one being ranked
            first[item] = min((rank(k) for k in tree.children.get(item, [])), default=never)
        return first[item]

    for kids in tree.children.values():
        kids.sort(key=rank)


#: Kinds of node that hold a value rather than compute one.
_VALUE_KINDS = frozenset({"input", "shared", "constant"})


class _Folder:
    """Folds the repeating runs among one container's children."""

    def __init__(
        self,
        graph: Graph,
        tree: _Tree,
        container: str | None,
        signature: Callable[[str], int],
        tag: str,
    ) -> None:
        self.graph = graph
        self.tree = tree
        self.container = container
        self.signature = signature
        self.tag = tag
        self.made = 0
        #: Instances made of several groups: containers to fold inside in turn.
        self.instances: list[str] = []
        self.reverse = False
        up = container
        while up is not None and up in tree.subs:  # numbered from the end in a reversed pass
            self.reverse = self.reverse or tree.subs[up].attrs.get("order") == "reversed"
            up = tree.subs[up].parent

    def fold(self, kids: list[str]) -> None:
        # only groups fold; loose ops between them keep their place in the
        # sequence, while the values they read (each layer's weights) do not
        # stand between them
        values = {n.id for n in self.graph.nodes if n.kind in _VALUE_KINDS}
        steps = [k for k in kids if k not in values]
        sigs = [self.signature(k) if k in self.tree.subs else None for k in steps]
        out: list[str] = []
        self._span(steps, sigs, 0, len(steps), out)
        self.tree.children[self.container] = out + [k for k in kids if k in values]

    def _span(
        self, kids: list[str], sigs: list[int | None], lo: int, hi: int, out: list[str]
    ) -> None:
        best = _best_run(sigs, lo, hi)
        if best is None:
            out.extend(kids[lo:hi])
            return
        start, period, times = best
        self._span(kids, sigs, lo, start, out)
        out.append(self._repeat(kids[start : start + period * times], period, times))
        self._span(kids, sigs, start + period * times, hi, out)

    def _repeat(self, run: list[str], period: int, times: int) -> str:
        subs = self.tree.subs
        self.made += 1
        prefix = "" if self.container is None else self.container + "/"
        rid = f"{prefix}{self.tag}{self.made}"
        instances = run
        if period > 1:
            instances = []
            for t in range(times):
                members = run[t * period : (t + 1) * period]
                names = list(dict.fromkeys(subs[m].label for m in members))
                label = " + ".join(names[:3]) + (" + …" if len(names) > 3 else "")
                iid = f"{rid}/{t}"
                self._add(Subgraph(iid, label, "instance", rid), members)
                instances.append(iid)
                self.instances.append(iid)
        first = subs[instances[0]]
        attrs = {"count": str(times), "period": str(period)}
        if "line" in first.attrs:
            attrs["line"] = first.attrs["line"]
        label = f"{_common([subs[x].label for x in instances])} {TIMES}{times}"
        self._add(Subgraph(rid, label, "repeat", self.container, attrs), instances)
        for n, inst in enumerate(instances):
            number = times - 1 - n if self.reverse else n
            subs[inst].attrs["instance"] = str(number)
            if not subs[inst].label.endswith("]"):  # params['layers'][3] says it already
                subs[inst].label = f"{subs[inst].label} [{number}]"
        return rid

    def _add(self, sub: Subgraph, members: list[str]) -> None:
        self.graph.subgraphs.append(sub)
        self.tree.subs[sub.id] = sub
        self.tree.children[sub.id] = members
        for m in members:
            self.tree.subs[m].parent = sub.id


def _best_run(sigs: list[int | None], lo: int, hi: int) -> tuple[int, int, int] | None:
    """(start, period, times) of the run covering most children, or None."""
    best: tuple[int, int, int] | None = None
    cover = 0
    periods = MAX_PERIOD if hi - lo <= MAX_SCAN else 1
    for start in range(lo, hi):
        if sigs[start] is None:
            continue
        for period in range(1, periods + 1):
            block = sigs[start : start + period]
            if start + period > hi or None in block:
                break
            times = 1
            while (
                start + (times + 1) * period <= hi
                and sigs[start + times * period : start + (times + 1) * period] == block
            ):
                times += 1
            if times >= 2 and period * times > cover:
                best, cover = (start, period, times), period * times
    return best


def _common(labels: list[str]) -> str:
    """One label for a run: the label itself, or what its instances share."""
    first, last = labels[0], labels[-1]
    if all(label == first for label in labels):
        return first
    head = 0
    while head < min(len(first), len(last)) and first[head] == last[head]:
        head += 1
    tail = 0
    while tail < min(len(first), len(last)) - head and first[-1 - tail] == last[-1 - tail]:
        tail += 1
    return first[:head] + "…" + (first[len(first) - tail :] if tail else "")
