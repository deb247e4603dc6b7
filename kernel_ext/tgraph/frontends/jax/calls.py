"""Every JAX program the user's code called during the cell, cache hits included.

A jitted function called again on shapes it has seen runs from JAX's C++
cache and never reaches Python, so ``capture``'s hooks, which see traces,
miss it. Python's ``sys.monitoring`` reports each call the user's code
makes (a cell, a function defined in an earlier cell, the user's own
module) with the callable itself. A call site in an installed package, or
one of the user's that called anything but a program, is switched off the
first time it reports, so library code and plain loops run at full speed.
From the call site come the user's name for the program (``step``,
``model.loss``) and, when each argument is a plain read, the very values
it was given (see ``tgraph.callsites``).

The watch also counts JAX operations run one by one outside any trace, so
a cell that ran JAX without ``jit`` can be told what would draw it.
"""

from __future__ import annotations

import itertools
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from types import CodeType, FunctionType
from typing import Any

import jax

from ...callsites import UNKNOWN, Site, arguments, free_tool, is_user_code, site

_MONITORING: Any = getattr(sys, "monitoring", None)  # Python 3.12+


@dataclass
class Called:
    """A program the user's code called: how often, under what name, on what."""

    fn: Any
    #: The callee as the user wrote it (``step``), None for ``jax.jit(f)(x)``.
    name: str | None
    count: int = 0
    #: The last call's own arguments, when they could be read back.
    args: tuple[Any, ...] | None = None
    kwargs: dict[str, Any] | None = None
    seq: int = 0


@dataclass
class _Watch:
    tool: int | None = None
    depth: int = 0
    calls: dict[int, Called] = field(default_factory=dict)
    #: JAX operations the user's code ran outside any trace (eagerly).
    eager_ops: int = 0
    #: Calls of the user's own functions at the cell's top level, each with
    #: the eager count when first made: the ops JAX ran inside follow it.
    top: dict[tuple[CodeType, int], tuple[Site, int]] = field(default_factory=dict)


WATCH = _Watch()


def _is_tracer(value: Any) -> bool:
    return isinstance(value, jax.core.Tracer)


def _jax_module(fn: Any) -> bool:
    module = getattr(fn, "__module__", None) or ""
    return isinstance(module, str) and (module == "jax" or module.startswith(("jax.", "jaxlib.")))


#: Modules whose functions are JAX operations: run outside a trace, one by one.
_OPS = ("jax.numpy", "jax.lax", "jax.nn", "jax.scipy", "jax.random", "jax._src.numpy",
        "jax._src.lax", "jax._src.nn", "jax._src.scipy", "jax._src.random")  # fmt: skip


def _is_op(fn: Any) -> bool:
    module = getattr(fn, "__module__", None) or ""
    return isinstance(module, str) and module.startswith(_OPS) and not isinstance(fn, type)


def _is_jitted(fn: Any) -> bool:
    return hasattr(fn, "_fun") and hasattr(fn, "lower")


def _holds_jit(fn: Any) -> bool:
    """A library's wrapper around a jit it keeps (``eqx.filter_jit``, ``nnx.jit``)."""
    try:
        attrs = vars(fn).values()
    except TypeError:
        return False
    return any(_is_jitted(a) for a in attrs)


def is_shard_map(fn: Any) -> bool:
    """``jax.shard_map(f, ...)``: a function whose closure holds shard_map's own wrapper."""
    for cell in getattr(fn, "__closure__", None) or ():
        try:
            inner = cell.cell_contents
        except ValueError:
            continue
        if getattr(inner, "__module__", "") == "jax._src.shard_map":
            return True
    return False


def is_program(fn: Any) -> bool:
    """Whether calling ``fn`` runs one compiled JAX program of the user's."""
    if isinstance(fn, FunctionType):
        return is_shard_map(fn)
    if _is_jitted(fn):
        return not _jax_module(fn)
    return not isinstance(fn, type) and _holds_jit(fn)


def _on_call(code: CodeType, offset: int, fn: Any, arg0: Any) -> Any:
    """``sys.monitoring``'s CALL callback: ``arg0`` is the call's first argument."""
    if not is_user_code(code):
        return _MONITORING.DISABLE
    try:
        if is_program(fn):
            if not _is_tracer(arg0):  # under a trace it is part of the outer program
                _record(code, offset, fn, arg0)
            return None
        if _is_op(fn):
            if not _is_tracer(arg0):
                WATCH.eager_ops += 1
            return None
        top = code.co_name == "<module>" and isinstance(fn, FunctionType)
        if top and is_user_code(fn.__code__):
            # a cell's call of the user's own function: the eager hint names its first
            where = site(code, offset)
            if where is not None:
                WATCH.top[(code, offset)] = (where, WATCH.eager_ops)
    except Exception:  # a watch must never break the user's call
        return None
    return _MONITORING.DISABLE  # never a program here: this call site stays quiet


def _record(code: CodeType, offset: int, fn: Any, first: Any) -> None:
    where = site(code, offset)
    found = WATCH.calls.get(id(fn))
    if found is None:
        found = WATCH.calls[id(fn)] = Called(fn, where.callee if where else None)
        found.seq = len(WATCH.calls)
    found.count += 1
    if where is None:
        found.args = found.kwargs = None
        return
    if first is _MONITORING.MISSING:
        first = UNKNOWN
    read = arguments(where, sys._getframe(2), first)  # above _on_call and _record
    found.args, found.kwargs = read if read is not None else (None, None)


def _tool() -> int | None:
    if _MONITORING is None:
        return None
    if WATCH.tool is None:
        tool = free_tool()
        if tool is not None:
            _MONITORING.use_tool_id(tool, "tgraph")
            _MONITORING.register_callback(tool, _MONITORING.events.CALL, _on_call)
            WATCH.tool = tool
    return WATCH.tool


@contextmanager
def watching() -> Iterator[None]:
    """Record the programs the user's code calls while the block runs. Nests."""
    if WATCH.depth == 0:
        WATCH.calls.clear()
        WATCH.top.clear()
        WATCH.eager_ops = 0
        tool = _tool()
        if tool is not None:
            _MONITORING.set_events(tool, _MONITORING.events.CALL)
    WATCH.depth += 1
    try:
        yield
    finally:
        WATCH.depth -= 1
        if WATCH.depth == 0 and WATCH.tool is not None:
            _MONITORING.set_events(WATCH.tool, 0)


def called() -> list[Called]:
    """The programs called in the last watched block, in the order first called."""
    return sorted(WATCH.calls.values(), key=lambda c: c.seq)


def eager_hint() -> str | None:
    """What to write when the cell ran JAX op by op and no program was traced."""
    if not WATCH.eager_ops:
        return None
    marks = [*WATCH.top.values(), (None, WATCH.eager_ops)]
    for (where, before), (_, after) in itertools.pairwise(marks):
        if where is not None and after > before:
            return (
                f"this cell ran JAX op by op (no jit), so there is no compiled program to "
                f"show: %%tgraph {where.text} traces {where.callee or 'it'} and draws it"
            )
    return (
        "this cell ran JAX op by op (no jit), so there is no compiled program to show: "
        "put the ops in a function and name its call on the magic line, "
        "e.g. %%tgraph loss(params, x)"
    )
