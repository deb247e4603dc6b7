"""Which call of the user's functions made each PyTensor node.

``tag.trace`` gives each node the lines of the calls that made it, but not
which call: a one-line layer function called four times in a loop leaves
four identical traces. PyTensor numbers its variables as it makes them
(``auto_<n>``), so the cell's calls of the user's own functions are
recorded as spans of those numbers; a node belongs to the innermost span
holding its number. Only the user's code is watched (``sys.monitoring``
stops reporting every other function after its first call), and a call
that made no variable is not kept.
"""

from __future__ import annotations

import bisect
import contextlib
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from pytensor.graph.basic import Apply, Variable

from ...callsites import free_tool, is_user_code


@dataclass
class Span:
    """One call of a user's function: the variable numbers made during it."""

    start: int
    name: str
    parent: Span | None
    end: int = sys.maxsize
    serial: int = 0
    code: Any = field(default=None, repr=False, compare=False)


@dataclass
class _Book:
    spans: list[Span] = field(default_factory=list)  # by start
    starts: list[int] = field(default_factory=list)


#: The spans of every watched cell; numbers only grow, so they stay sorted.
_BOOK = _Book()


def _count() -> int:
    text = repr(getattr(Variable, "__count__", ""))
    return int(text[6:-1]) if text.startswith("count(") and text[6:-1].isdigit() else -1


def number(node: Apply | Variable) -> int:
    """The number PyTensor gave a variable (a node's first output) when it made it (-1: unknown)."""
    var = node.outputs[0] if isinstance(node, Apply) else node
    name = str(getattr(var, "auto_name", ""))
    return int(name[5:]) if name.startswith("auto_") and name[5:].isdigit() else -1


def spans_of(node: Apply) -> list[Span]:
    """The recorded calls that made ``node``, outermost first."""
    at = number(node)
    book = _BOOK
    index = bisect.bisect_right(book.starts, at) - 1
    span = book.spans[index] if index >= 0 and at >= 0 else None
    while span is not None and at >= span.end:
        span = span.parent
    chain = []
    while span is not None:
        chain.append(span)
        span = span.parent
    return chain[::-1]


@contextlib.contextmanager
def recording_spans() -> Iterator[None]:
    """Record the spans of the user's calls made inside the block (Python 3.12+)."""
    monitoring = getattr(sys, "monitoring", None)
    tool = free_tool()
    if monitoring is None or tool is None or _count() < 0:
        yield
        return
    book, open_ = _BOOK, list[Span]()
    events = monitoring.events
    entries, exits = events.PY_START | events.PY_RESUME, events.PY_RETURN | events.PY_YIELD
    users: dict[Any, bool] = {}  # code -> whether it is the user's
    quiet: set[Any] = set()  # the user's code whose last call made no variable

    def entered(code: Any, _offset: int) -> Any:
        if code in quiet or not users.setdefault(code, is_user_code(code)):
            return monitoring.DISABLE  # not called back for this code again in this cell
        span = Span(_count(), code.co_name, open_[-1] if open_ else None, serial=len(book.spans))
        span.code = code
        open_.append(span)
        book.spans.append(span)
        book.starts.append(span.start)
        return None

    def left(code: Any, _offset: int, _result: Any = None) -> Any:
        if not users.get(code) or not open_ or open_[-1].code is not code:
            return None if _result is _UNWOUND else monitoring.DISABLE
        span = open_.pop()
        span.end = _count()
        if span.end > span.start:
            return None
        if book.spans and book.spans[-1] is span:
            book.spans.pop()  # made nothing: not kept
            book.starts.pop()
        if _result is not _UNWOUND:  # a helper that builds no graph costs one call, not each
            quiet.add(code)
            return monitoring.DISABLE
        return None

    def unwound(code: Any, offset: int, _exc: Any) -> None:
        left(code, offset, _UNWOUND)

    monitoring.use_tool_id(tool, "tgraph-calls")
    monitoring.restart_events()  # what an earlier cell turned off is watched again
    try:
        for event in (events.PY_START, events.PY_RESUME):
            monitoring.register_callback(tool, event, entered)
        for event in (events.PY_RETURN, events.PY_YIELD):
            monitoring.register_callback(tool, event, left)
        monitoring.register_callback(tool, events.PY_UNWIND, unwound)
        monitoring.set_events(tool, entries | exits | events.PY_UNWIND)
        yield
    finally:
        monitoring.set_events(tool, 0)
        for event in (events.PY_START, events.PY_RESUME, events.PY_RETURN, events.PY_YIELD):
            monitoring.register_callback(tool, event, None)
        monitoring.register_callback(tool, events.PY_UNWIND, None)
        monitoring.free_tool_id(tool)
        for span in open_:  # the cell's own frames, still open
            span.end = _count()


_UNWOUND = object()
