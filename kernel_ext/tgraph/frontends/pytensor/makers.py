"""Which forward op's gradient made each node of a ``pytensor.grad`` graph.

``pytensor.grad`` walks the graph from the cost back, calling each op's
``L_op``; the nodes it makes have no trace of which op that was (their
``tag.trace`` is the line that called ``grad``). Its per-node step is
watched while it runs: when the step for a node returns, what its results
are built from that this ``grad`` call made, and no step claimed before,
was made by that node (the sum of its outputs' gradients included). Only
those two code objects are watched, the graph is only read, and nothing
runs differently.
"""

from __future__ import annotations

import contextlib
import sys
import weakref
from collections.abc import Callable, Iterator
from typing import Any

import pytensor.gradient
from pytensor.graph.basic import Apply, Variable

from ...callsites import free_tool
from .callspans import next_number, number

#: Gradient node -> forward node, for the ``grad`` calls of the cells watched
#: so far: kept exactly as long as the gradient node lives.
_MADE: weakref.WeakKeyDictionary[Apply, Apply] = weakref.WeakKeyDictionary()

Hook = Callable[[Any], None]  # called with the watched call's frame (and its result)


def _step_code() -> Any:
    outer = getattr(pytensor.gradient, "_populate_grad_dict", None)
    consts = getattr(getattr(outer, "__code__", None), "co_consts", ())
    return next((c for c in consts if getattr(c, "co_name", "") == "access_term_cache"), None)


@contextlib.contextmanager
def made_by(in_cell: bool = False) -> Iterator[dict[Apply, Apply]]:
    """Gradient node -> the forward node whose gradient step made it, for the
    ``pytensor.grad`` calls inside the block.

    ``in_cell``: the block is the user's cell. Where Python has no
    ``sys.monitoring`` (3.11), the cell is then not watched, since the
    fallback, a profile hook, would take the place of the user's own.
    """
    made: dict[Apply, Apply] = {}
    step, grad = _step_code(), getattr(getattr(pytensor.gradient, "grad", None), "__code__", None)
    starts: list[int] = []

    def entered(frame: Any) -> None:
        if frame.f_code is grad:
            count = next_number()
            starts.append(count if count >= 0 else sys.maxsize)  # unknown: claim nothing

    def left(frame: Any, result: Any) -> None:
        if frame.f_code is grad:
            if starts:
                starts.pop()
        elif starts:
            _claim(frame.f_locals.get("node"), result, starts[-1], made)

    if step is None or grad is None or (in_cell and not hasattr(sys, "monitoring")):
        yield made
        return
    with _watching((grad, step), entered, left):
        yield made
    if in_cell:
        _MADE.update(made)


def recorded(node: Apply) -> Apply | None:
    """The forward node whose gradient made ``node`` in a watched cell, if any."""
    return _MADE.get(node)


def _claim(node: Any, result: Any, start: int, made: dict[Apply, Apply]) -> None:
    todo = [v for v in result or () if isinstance(v, Variable)]
    while todo:
        owner = todo.pop().owner
        if owner is None or owner in made or number(owner) < start:
            continue
        made[owner] = node
        todo.extend(owner.inputs)


@contextlib.contextmanager
def _watching(
    codes: tuple[Any, ...], entered: Hook, left: Callable[[Any, Any], None]
) -> Iterator[None]:
    """Calls ``entered(frame)`` and ``left(frame, result)`` around each call of ``codes``."""
    monitoring = getattr(sys, "monitoring", None)
    tool = free_tool()
    if monitoring is None or tool is None:  # Python 3.11, or every tool id taken
        previous = sys.getprofile()

        def profile(frame: Any, event: str, arg: Any) -> None:
            if frame.f_code in codes:
                if event == "call":
                    entered(frame)
                elif event == "return":
                    left(frame, arg)

        sys.setprofile(profile)
        try:
            yield
        finally:
            sys.setprofile(previous)
        return
    start, end = monitoring.events.PY_START, monitoring.events.PY_RETURN
    monitoring.use_tool_id(tool, "tgraph")
    try:
        monitoring.register_callback(tool, start, lambda *_: entered(sys._getframe(1)))
        monitoring.register_callback(tool, end, lambda _c, _o, r: left(sys._getframe(1), r))
        for code in codes:
            monitoring.set_local_events(tool, code, start | end)
        yield
    finally:
        for code in codes:
            monitoring.set_local_events(tool, code, 0)
        monitoring.register_callback(tool, start, None)
        monitoring.register_callback(tool, end, None)
        monitoring.free_tool_id(tool)
