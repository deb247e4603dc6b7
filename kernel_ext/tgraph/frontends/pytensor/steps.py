"""The rewrite stepper: the graph after each of PyTensor's rewrites.

Each real rewrite gets a snapshot of the whole graph right after it, in the
ids of the final view (a node keeps its id from step to step), so the
browser can step through them and show what each step created and removed.
"""

from __future__ import annotations

import functools
import itertools
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from pytensor.graph.basic import Apply, Variable
from pytensor.graph.fg import FunctionGraph

from ...graph import Graph, Rewrite
from ...protocol import CellInfo
from .origins import Place
from .rewrites import History, Recorded
from .views import GraphWriter, _ends

# The stepper snapshots at most this many steps per view, only graphs of at
# most this many nodes, and about this many nodes in all per view: past that,
# the JSON (megabytes) and the layouts cost too much.
MAX_SNAPSHOTS = 150
MAX_STEP_NODES = 400
MAX_SNAPSHOT_NODES = 10_000


class _IdBook:
    """The ids shared by every snapshot of one view: a node keeps its id from
    step to step (bookkeeping rebuilds included) and, if it survives, the id
    it has in the view; any other node gets a fresh ``p<n>`` id
    (``r<n>`` are the ids of folded repeats)."""

    def __init__(self, final: dict[Any, str], rebuilt: dict[Apply, Apply]) -> None:
        self.ids = dict(final)
        self.rebuilt = rebuilt
        self.fresh = itertools.count()

    def _latest(self, node: Apply) -> Apply:
        seen = {node}
        while node in self.rebuilt and self.rebuilt[node] not in seen:
            node = self.rebuilt[node]
            seen.add(node)
        return node

    def __call__(self, key: Any) -> str:
        if isinstance(key, Apply):
            key = self._latest(key)
        elif isinstance(key, tuple) and isinstance(key[-1], Apply):
            key = (*key[:-1], self._latest(key[-1]))
        if key not in self.ids:
            self.ids[key] = f"p{next(self.fresh)}"
        found: str = self.ids[key]
        return found


@dataclass
class Steps:
    """A view's rewrites, and step 0 of its stepper (None when it is off)."""

    rewrites: list[Rewrite]
    start: Graph | None = None
    notes: list[str] = field(default_factory=list)


def _top_ids(graph: Graph) -> list[str]:
    return [n.id for n in graph.nodes if n.parent is None]


def credit(
    recorded: Recorded,
    ids: dict[Any, str],
    view_name: str,
    names: list[str],
    cell: CellInfo,
    final: Graph,
    place: Place | None = None,
) -> Steps:
    """Point each rewrite at the nodes it created, by their ids in the view,
    and give each real step a snapshot of the graph right after it (in the
    view's groups, by ``place``)."""
    rewrites = recorded.rewrites
    for node, step in recorded.created_by.items():
        if node in ids:
            rewrites[step].created.append(ids[node])
    for rw in rewrites:
        rw.view = view_name
    steps = Steps(rewrites)
    history = recorded.history
    if not history.changes:
        return steps
    off = f"the rewrite stepper is off for the {view_name} view: "
    if len(final.nodes) > MAX_STEP_NODES:
        steps.notes.append(off + f"{len(final.nodes)} nodes, more than {MAX_STEP_NODES}")
        return steps
    book = _IdBook(ids, history.rebuilt)
    shot = functools.partial(_snapshot, recorded.fgraph, history, names, cell, book, place)
    start = shot(*next(history.replay([0])))
    if len(start.nodes) > MAX_STEP_NODES:
        steps.notes.append(off + f"{len(start.nodes)} nodes, more than {MAX_STEP_NODES}")
        return steps
    size = max(len(start.nodes), len(final.nodes), 1)
    cuts = history.cuts(rewrites, max(1, min(MAX_SNAPSHOTS, MAX_SNAPSHOT_NODES // size)))
    order = sorted(cuts, key=cuts.__getitem__)
    real = sum(not rw.noise for rw in rewrites)
    if real > len(order):
        steps.notes.append(
            f"the rewrite stepper shows {len(order)} of the {real} rewrites of the {view_name} view"
        )
    for rw in rewrites:
        rw.created = []
    steps.start = start
    before = _top_ids(start)
    states = history.replay([cuts[step] for step in order])
    for step, (edited, outputs) in zip(order, states, strict=True):
        graph = shot(edited, outputs)
        after = _top_ids(graph)
        was, now = set(before), set(after)
        rw = rewrites[step]
        rw.graph = graph
        rw.created = [i for i in after if i not in was]
        rw.removed = [i for i in before if i not in now]
        before = after
    return steps


def _snapshot(
    fgraph: FunctionGraph,
    history: History,
    names: list[str],
    cell: CellInfo,
    book: _IdBook,
    place: Place | None,
    edited: dict[Apply, list[Variable]],
    outs: list[Variable],
) -> Graph:
    """The whole graph at one step of the replay, in the book's ids."""

    def inputs_of(apply: Apply) -> Sequence[Variable]:
        found = edited.get(apply)
        return found if found is not None else history.inputs.get(apply, apply.inputs)

    outputs, updates = _ends(fgraph, outs, names)
    writer = GraphWriter(cell, inputs_of=inputs_of, book=book)
    ids = writer.scope(outputs, updates=updates)
    if place is not None:
        place(writer.graph, ids)
    return writer.graph
