"""A PyTensor graph in the groups of the user's functions, from ``tag.trace``.

PyTensor keeps, on each variable it makes, the user's stack where it was made
(``tag.trace``, its own frames left out, at most ``config.traceback__limit``
of them). Read below the cell's top level, those frames are the calls that
made each op: ``block`` → ``rms``. PyTensor keeps line numbers, not bytecode
offsets, so a call of the same code again (the next turn of a loop) is told
by the line stepping back, or by a call inside it starting again after it
had ended (one-line functions); a loop inside the called function looks the
same and splits its call.
"""

from __future__ import annotations

import itertools
from typing import Any

from pytensor.graph.basic import Apply, Variable

from ...graph import Graph
from ...protocol import CellInfo
from ...structure import Level, group, library_of
from .callspans import number, spans_of


def group_calls(graph: Graph, ids: dict[Any, str], cell: CellInfo) -> None:
    """Nest the top-level ops of the graph as written in the user's calls,
    read in the order the program made them."""
    applies = {node_id: key for key, node_id in ids.items() if isinstance(key, Apply)}
    places: dict[str, list[Level]] = {}
    calls = _Calls()
    made = [n for n in graph.nodes if n.kind == "op" and n.parent is None and n.id in applies]
    for node in sorted(made, key=lambda n: number(applies[n.id])):
        apply = applies[node.id]
        box = ids.get(("subgraph", apply))
        levels = _levels(apply, cell)
        places[box if box is not None else node.id] = _by_spans(apply, levels) or calls.levels(
            levels
        )
    if any(places.values()):
        group(graph, places, order=_made_order(ids))


def _made_order(ids: dict[Any, str]) -> dict[str, int]:
    """Each top-level item's rank in the order the program made it."""
    order: dict[str, int] = {}
    for key, item in ids.items():
        made = key[1] if isinstance(key, tuple) and key[0] == "subgraph" else key
        if isinstance(made, Apply | Variable):
            order[item] = number(made)
    return order


class _Call:
    """One open call while reading ops in order: where it is, what it called."""

    def __init__(self, key: Any, line: int, number: int) -> None:
        self.key = key
        self.line = line
        self.number = number
        self.current: Any = None
        self.ended: set[Any] = set()


class _Calls:
    """Tells each call of the same code apart (``Level`` keys carry a number)."""

    def __init__(self) -> None:
        self.open: list[_Call] = []
        self.numbers = itertools.count()  # tells calls apart within one graph

    def levels(self, found: list[Level]) -> list[Level]:
        out: list[Level] = []
        for depth, level in enumerate(found):
            child = found[depth + 1].key if depth + 1 < len(found) else None
            call = self.open[depth] if depth < len(self.open) else None
            again = call is not None and (
                call.key != level.key
                or level.at < call.line
                or (child is not None and child != call.current and child in call.ended)
            )
            if call is None or again:
                del self.open[depth:]
                call = _Call(level.key, level.at, next(self.numbers))
                self.open.append(call)
            if call.current is not None and child != call.current:
                call.ended.add(call.current)
            call.current, call.line = child, level.at
            out.append(
                Level((level.key, call.number), level.label, level.kind, 0, None, level.attrs)
            )
        del self.open[len(found) :]
        return out


def _by_spans(apply: Apply, levels: list[Level]) -> list[Level] | None:
    """The levels told apart by the recorded call that made each (None: not recorded)."""
    spans = spans_of(apply)
    tops = [i for i, span in enumerate(spans) if span.name == "<module>"]
    spans = spans[tops[-1] + 1 :] if tops else spans
    names = [dict(level.attrs).get("function", "").rsplit(".", 1)[-1] for level in levels]
    if not levels or names != [span.name for span in spans]:
        return None
    return [
        Level((level.key, "call", span.serial), level.label, level.kind, 0, None, level.attrs)
        for level, span in zip(levels, spans, strict=True)
    ]


def _levels(apply: Apply, cell: CellInfo) -> list[Level]:
    stacks = getattr(apply.outputs[0].tag, "trace", None) or []
    frames = [f for f in (stacks[-1] if stacks else []) if not library_of(f[0])]
    tops = [i for i, f in enumerate(frames) if f[2] == "<module>"]
    if not tops:
        return []
    levels: list[Level] = []
    caller = frames[tops[-1]]
    for frame in frames[tops[-1] + 1 :]:
        file, line, function, _ = frame
        attrs = {"function": function}
        if caller[0] == cell.filename:
            attrs["line"] = str(caller[1])
        if caller[3]:
            attrs["call"] = str(caller[3])[:120]
        name = function.rsplit(".", 1)[-1]
        label = "lambda" if name == "<lambda>" else name
        key = (file, function, caller[0], caller[1])
        levels.append(Level(key, label, "call", int(line), None, tuple(attrs.items())))
        caller = frame
    return levels
