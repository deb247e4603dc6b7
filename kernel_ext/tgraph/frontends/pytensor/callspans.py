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
import weakref
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


def next_number() -> int:
    """The number the next PyTensor variable will get (``auto_<n>``; -1: unknown)."""
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


@dataclass
class _Watch:
    """The watch's state, kept from cell to cell: a call site switched off
    stays off, so a cell pays only for the code it runs for the first time."""

    tool: int | None = None
    depth: int = 0
    # code -> whether it is the user's; the user's code whose call made no variable
    users: weakref.WeakKeyDictionary[Any, bool] = field(default_factory=weakref.WeakKeyDictionary)
    quiet: weakref.WeakSet[Any] = field(default_factory=weakref.WeakSet)
    open: list[Span] = field(default_factory=list)


_WATCH = _Watch()
_MONITORING: Any = getattr(sys, "monitoring", None)  # Python 3.12+
_UNWOUND = object()


def _entered(code: Any, _offset: int) -> Any:
    watch, book = _WATCH, _BOOK
    if code in watch.quiet or not watch.users.setdefault(code, is_user_code(code)):
        return _MONITORING.DISABLE  # not called back for this code again
    span = Span(next_number(), code.co_name, watch.open[-1] if watch.open else None)
    span.serial, span.code = len(book.spans), code
    watch.open.append(span)
    book.spans.append(span)
    book.starts.append(span.start)
    return None


def _left(code: Any, _offset: int, result: Any = None) -> Any:
    watch, book = _WATCH, _BOOK
    if not watch.users.get(code) or not watch.open or watch.open[-1].code is not code:
        return None if result is _UNWOUND else _MONITORING.DISABLE
    span = watch.open.pop()
    span.end = next_number()
    if span.end > span.start:
        return None
    if book.spans and book.spans[-1] is span:
        book.spans.pop()  # made nothing: not kept
        book.starts.pop()
    if result is _UNWOUND:
        return None
    watch.quiet.add(code)  # a helper that builds no graph costs one call, not each
    return _MONITORING.DISABLE


def _unwound(code: Any, offset: int, _exc: Any) -> None:
    _left(code, offset, _UNWOUND)


def _tool() -> int | None:
    watch = _WATCH
    if watch.tool is None and _MONITORING is not None and next_number() >= 0:
        tool = free_tool()
        if tool is not None:
            events = _MONITORING.events
            _MONITORING.use_tool_id(tool, "tgraph-calls")
            for event in (events.PY_START, events.PY_RESUME):
                _MONITORING.register_callback(tool, event, _entered)
            for event in (events.PY_RETURN, events.PY_YIELD):
                _MONITORING.register_callback(tool, event, _left)
            _MONITORING.register_callback(tool, events.PY_UNWIND, _unwound)
            watch.tool = tool
    return watch.tool


@contextlib.contextmanager
def recording_spans() -> Iterator[None]:
    """Record the spans of the user's calls made inside the block (Python 3.12+). Nests."""
    watch = _WATCH
    tool = _tool() if watch.depth == 0 else None
    if tool is not None:
        events = _MONITORING.events
        watching = events.PY_START | events.PY_RESUME | events.PY_RETURN | events.PY_YIELD
        _MONITORING.set_events(tool, watching | events.PY_UNWIND)
    watch.depth += 1
    try:
        yield
    finally:
        watch.depth -= 1
        if tool is not None:
            _MONITORING.set_events(tool, 0)
            for span in watch.open:  # the cell's own frames, still open
                span.end = next_number()
            watch.open.clear()
