"""Where a PyMC model's log-probability computes each of its Deterministics.

A ``pm.Deterministic`` names an expression of the model's random variables.
PyMC computes it for the trace after each draw; the logp computes it only
where a term uses it (an observed variable's mean, a prior's location, a
potential), and there it is not the Deterministic's own variable:
``Model.logp`` clones each term's graph with the random variables replaced
by their value variables, and rewrites the random variables' terms (the
Deterministic's view dropped, the expression canonicalized) before taking
their log-probability. So the nodes that compute ``mu`` are found by what
they compute: the same ops over the same value variables and constants as
``model.replace_rvs_by_values([mu])``, as a potential holds it, or as
PyMC's log-probability rewrites leave it inside a random variable's term.

What is shared with other parts of the logp, or computes a random variable
from its value variable (``exp(sigma_log__)`` is ``sigma``), stays outside
the Deterministic's group, as what terms share stays outside the terms.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from pytensor.graph.basic import Apply, Constant, Variable
from pytensor.graph.fg import FunctionGraph
from pytensor.graph.traversal import ancestors, toposort

from ...graph import Graph, Subgraph
from ...structure import chain_of, common_prefix

KIND = "deterministic"


@dataclass
class Computed:
    """One Deterministic the logp computes: the applies and leaves of each copy of it."""

    name: str
    #: One list per place the logp computes it (a potential holds its own copy).
    copies: list[list[Any]]


@dataclass
class Deterministics:
    """Every Deterministic of a model the logp computes, and a note for each it does not."""

    computed: list[Computed] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def find(model: Any, logp: Variable, terms: Sequence[tuple[str, str, Variable]]) -> Deterministics:
    """Where ``logp`` (``model.logp()``, cut into ``terms``) computes each Deterministic."""
    found = Deterministics()
    dets = list(model.deterministics)
    if not dets:
        return found
    rvs = list(model.basic_RVs)
    sources = [*model.free_RVs, *model.observed_RVs, *model.potentials]
    if len(sources) != len(terms):  # the terms could not be read: nothing is claimed
        return found
    uses = [_used(s, rvs, i < len(sources) - len(model.potentials)) for i, s in enumerate(sources)]
    keys = _Keys()
    written = model.replace_rvs_by_values([*dets, *rvs])
    forms = [f for f in (written, _as_pymc_rewrites(written)) if f]
    wanted = [{keys.of(form[i]) for form in forms} for i in range(len(dets))]
    stops = {keys.of(v) for form in forms for v in form[len(dets) :]}
    stops |= {keys.of(v) for v in model.value_vars}
    graph = _LogpGraph(logp)
    for index, det in enumerate(dets):
        name = det.name or f"deterministic {index}"
        users = [terms[t][0] for t, used in enumerate(uses) if det in used]
        if not users:
            found.notes.append(
                f"{name} is a Deterministic the logp does not use: PyMC computes it "
                "only for the trace, so it is not drawn"
            )
            continue
        within = graph.within([terms[t][2] for t, used in enumerate(uses) if det in used])
        copies = graph.copies(within, wanted[index] - stops, stops, keys)
        if copies:
            found.computed.append(Computed(name, copies))
        elif wanted[index] & stops:
            found.notes.append(
                f"{name} is a Deterministic that only renames a random variable that "
                f"{_listed(users)} reads: no node computes it alone, so it is not drawn"
            )
        else:
            found.notes.append(
                f"{name} is a Deterministic that {_listed(users)} uses, but PyMC's rewrites "
                "folded it into what uses it: no node computes it alone, so it is not drawn"
            )
    return found


def place(graph: Graph, ids: dict[Any, str], found: Deterministics) -> None:
    """One group per copy of each Deterministic, inside what already holds all its nodes.

    The largest go first, so a Deterministic built from another holds the
    other's group.
    """
    graph.notes.extend(found.notes)
    subs = {s.id: s for s in graph.subgraphs}
    nodes = {n.id: n for n in graph.nodes}
    jobs = [
        (det, f"{KIND}/{index}" + (f".{c}" if len(det.copies) > 1 else ""), items)
        for index, det in enumerate(found.computed)
        for c, items in enumerate(det.copies)
    ]
    jobs.sort(key=lambda job: -len(job[2]))
    where: dict[str, list[str]] = {}
    for det, gid, items in jobs:
        things = [t for i in _ids(items, ids) for t in (subs.get(i), nodes.get(i)) if t]
        if not things:
            continue
        up = {i: sub.parent for i, sub in subs.items()}
        common = common_prefix([chain_of(t.parent, up) for t in things])
        parent = common[-1] if common else None
        attrs = {"variable": det.name, "role": KIND}
        group = Subgraph(gid, det.name, KIND, parent, attrs)
        graph.subgraphs.append(group)
        subs[gid] = group
        for thing in things:
            if thing.parent == parent:
                thing.parent = gid
        where.setdefault(det.name, []).append(_term_of(parent, subs))
    order = {s.label: i for i, s in enumerate(graph.subgraphs) if s.kind == "term"}
    for det in found.computed:
        terms = sorted(where.get(det.name, []), key=lambda t: order.get(t, len(order)))
        if len(terms) > 1:
            times = {2: "twice", 3: "three times"}.get(len(terms), f"{len(terms)} times")
            graph.notes.append(
                f"the logp as written computes {det.name} {times} (in {_listed(terms)}): "
                f"each is a group named {det.name}"
            )


def _term_of(parent: str | None, subs: dict[str, Subgraph]) -> str:
    """Where a group sits: the term around it, else the Deterministic around it."""
    chain = [subs[g] for g in reversed(chain_of(parent, {i: s.parent for i, s in subs.items()}))]
    around = [s for s in chain if s.kind == "term"] or [s for s in chain if s.kind == KIND]
    return around[0].label if around else "the top level"


def _used(source: Variable, rvs: list[Variable], is_rv: bool) -> set[Variable]:
    """What a term's own graph reads, up to (not into) the random variables it conditions on."""
    start = list(source.owner.inputs) if is_rv and source.owner is not None else [source]
    return set(ancestors(start, blockers=rvs))


def _as_pymc_rewrites(graphs: list[Variable]) -> list[Variable]:
    """``graphs`` as PyMC's log-probability rewrites leave them in a random variable's term.

    Empty where this PyMC keeps those rewrites elsewhere: only the graphs
    as written are then looked for.
    """
    rewriting = sys.modules.get("pymc.logprob.rewriting")
    db = getattr(rewriting, "logprob_rewrites_db", None)
    query = getattr(rewriting, "logprob_rewrites_basic_query", None)
    if db is None or query is None:
        return []
    fgraph = FunctionGraph(outputs=graphs, clone=True, copy_inputs=False, copy_orphans=False)
    db.query(query).rewrite(fgraph)
    return list(fgraph.outputs)


class _Keys:
    """What a variable computes, as one number: equal for the same ops over the same inputs."""

    def __init__(self) -> None:
        self.numbers: dict[Any, int] = {}
        self.memo: dict[Variable, int] = {}

    def _number(self, shape: Any) -> int:
        return self.numbers.setdefault(shape, len(self.numbers))

    def _leaf(self, var: Variable) -> int:
        if isinstance(var, Constant):
            return self._number(("constant", var.type, var.signature()))
        return self._number(("leaf", id(var)))

    def of(self, var: Variable) -> int:
        if var in self.memo:
            return self.memo[var]
        for apply in toposort([var]):
            for leaf in (i for i in apply.inputs if i.owner is None and i not in self.memo):
                self.memo[leaf] = self._leaf(leaf)
            inputs = tuple(self.memo[i] for i in apply.inputs)
            op = apply.op if _hashable(apply.op) else ("op", id(apply.op))
            for slot, out in enumerate(apply.outputs):
                self.memo.setdefault(out, self._number((op, slot, inputs)))
        if var not in self.memo:
            self.memo[var] = self._leaf(var)
        return self.memo[var]


def _hashable(op: Any) -> bool:
    """Whether an op compares by what it does (its props), not only by identity."""
    try:
        hash(op)
    except TypeError:
        return False
    return True


class _LogpGraph:
    """The logp's applies in order and who reads each variable."""

    def __init__(self, logp: Variable) -> None:
        self.logp = logp
        self.order = {a: i for i, a in enumerate(toposort([logp]))}
        self.clients: dict[Variable, list[Apply]] = {}
        for apply in self.order:
            for var in apply.inputs:
                self.clients.setdefault(var, []).append(apply)

    def within(self, ends: Iterable[Variable]) -> list[Variable]:
        """Every variable the terms ``ends`` are computed from, outermost first."""
        found = [v for v in ancestors(list(ends)) if v.owner is not None]
        return sorted(found, key=lambda v: -self.order[v.owner])

    def copies(
        self, within: list[Variable], wanted: set[int], stops: set[int], keys: _Keys
    ) -> list[list[Any]]:
        """Each place among ``within`` that computes ``wanted``: what it computes alone."""
        copies: list[list[Any]] = []
        taken: set[Any] = set()
        for var in within:
            if var.owner in taken or keys.of(var) not in wanted:
                continue
            items = self._alone(var, stops, keys)
            taken.update(items)
            copies.append(items)
        return copies

    def _alone(self, root: Variable, stops: set[int], keys: _Keys) -> list[Any]:
        """The applies and leaves under ``root`` that nothing but ``root`` reads."""
        region: set[Any] = set()
        todo: list[Variable] = [root]
        while todo:
            var = todo.pop()
            item = var.owner if var.owner is not None else var
            if item in region or (var is not root and keys.of(var) in stops):
                continue
            region.add(item)
            if var.owner is not None:
                todo.extend(var.owner.inputs)
        kept: list[Any] = [root.owner]
        alone = {root.owner}
        for item in sorted(region - alone, key=self._position, reverse=True):
            outs = item.outputs if isinstance(item, Apply) else [item]
            readers = [c for out in outs for c in self.clients.get(out, [])]
            if self.logp not in outs and readers and all(c in alone for c in readers):
                alone.add(item)
                kept.append(item)
        return kept

    def _position(self, item: Any) -> int:
        return self.order[item] if isinstance(item, Apply) else -1


def _ids(items: list[Any], ids: dict[Any, str]) -> list[str]:
    """The drawn nodes (and inner graphs' boxes) of applies and leaves."""
    found = [ids[i] for i in items if i in ids]
    found += [ids[("subgraph", i)] for i in items if ("subgraph", i) in ids]
    return found


def _listed(names: list[str]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
