"""What a PyTensor graph would do to the user's world if tgraph ran it.

A ``Print`` op prints (and calls its ``global_fn``) on every call, and an
``as_op`` runs the user's own Python function: tgraph runs graphs after the
cell (values, timing, profiles, the gradient check), so such a graph would
print, count or write thousands of times. Inner graphs (a scan's step, an
``OpFromGraph``) are looked into too. Assertions are not effects: they
only raise, and every run reports what it raised.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from pytensor.compile.ops import FromFunctionOp
from pytensor.graph.basic import Apply, Variable
from pytensor.graph.traversal import applys_between
from pytensor.printing import Print

from .views import inner_graphs


def _applies(ends: list[Variable], seen: set[Any]) -> Iterator[Apply]:
    for apply in applys_between([], ends):
        if apply in seen:
            continue
        seen.add(apply)
        yield apply
        for inner in inner_graphs(apply.op):
            yield from _applies(list(inner.outputs), seen)


def effect_of(op: Any) -> str:
    """What one op does beside computing, or ""."""
    if isinstance(op, Print):
        return "Print, which prints on every call"
    if isinstance(op, FromFunctionOp):
        name = getattr(getattr(op, "_FromFunctionOp__fn", None), "__name__", "a Python function")
        return f"{name}, which runs Python code (as_op) on every call"
    return ""


def effects_of(name: str, ends: list[Variable]) -> str:
    """Why running ``name``'s graph would touch the user's world, or ""."""
    found = [effect_of(a.op) for a in _applies(ends, set())]
    said = list(dict.fromkeys(f for f in found if f))
    return f"{name} runs {'; '.join(said)}" if said else ""
