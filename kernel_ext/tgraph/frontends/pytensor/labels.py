"""PyTensor's objects and messages as short text: ops, values, expressions, passes.

Shared by the views, the rewrite recorder and the rewrite explanations,
so none of them imports another for a label.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from pytensor.graph.basic import Constant, Variable
from pytensor.tensor.elemwise import Elemwise


def op_label(op: Any) -> str:
    """A short, readable name: ``exp`` for ``Elemwise{exp}``, else the op's text."""
    if isinstance(op, Elemwise):
        scalar = op.scalar_op
        if type(scalar).__name__ == "Composite":
            return "Composite"
        return str(getattr(scalar, "name", None) or scalar)
    if type(op).__name__ == "FusedElemwise":  # PyTensor 3.3: a Composite and its reduction
        return "FusedElemwise"
    text = str(op)
    return text if len(text) <= 32 else text[:31] + "…"


def value_preview(value: Any, limit: int = 40) -> str:
    """A one-line preview of a constant or shared value.

    Graphs hold hundreds of constants and drawing happens in the cell, so a
    scalar skips NumPy's printer (about 0.1 ms a call).
    """
    if isinstance(value, np.ndarray | np.generic) and value.ndim == 0:
        if value.dtype.kind in "biu":
            return str(int(value))
        if value.dtype.kind == "f":
            return f"{float(value):.4g}"
    try:
        arr = np.asarray(value)
        text = np.array2string(
            arr, threshold=6, edgeitems=2, precision=4, max_line_width=10_000, separator=", "
        )
    except Exception:  # exotic values (random generators...) have no array form
        text = type(value).__name__
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _small_text(value: Any) -> str:
    """A constant's text in a rewrite's description, cheaply: rewrites are
    recorded while the cell's own compile runs, so NumPy's printer (a fifth of
    the recording's cost) is kept for larger values."""
    small = isinstance(value, np.ndarray | np.generic) and value.size <= 4
    if small and value.dtype.kind in "biuf":
        if value.ndim == 0:
            return format(value.item(), "g")
        return "[" + ", ".join(_small_text(v) for v in value) + "]"
    return value_preview(value, 16)


def describe(var: Variable, depth: int = 2, constants: bool = True, width: int = 80) -> str:
    """A short expression for a variable, e.g. ``true_div(exp(x), add(…))``,
    at most ``width`` characters.

    Without ``constants``, every constant reads ``c``: canonicalization
    rewrites that only recast a constant then read as no change at all.
    Operands past the width are not read: a fusion of many layers has
    dozens of inputs, each with dozens more.
    """
    if isinstance(var, Constant):
        return _small_text(var.data) if constants else "c"
    if var.owner is None:
        return var.name or str(var.type)
    if depth == 0:
        return var.name or "…"
    head = op_label(var.owner.op)
    args: list[str] = []
    used = len(head) + 1
    for operand in var.owner.inputs:
        if used > width:
            args.append("…")
            break
        args.append(describe(operand, depth - 1, constants, max(width - used, 2)))
        used += len(args[-1]) + 2
    text = f"{head}({', '.join(args)})"
    return text if len(text) <= width else text[: width - 1] + "…"


def pass_name(rewriter: Any) -> str:
    """The pass a top-level member of a mode's rewriter is, in PyTensor's words."""
    name = str(getattr(rewriter, "name", "") or type(rewriter).__name__)
    low = name.lower()
    if "fusion" in low:
        return "fusion"
    if "inplace" in low or low == "add_destroy_handler":
        return "inplace"
    if low.startswith("merge"):
        return "merge"
    return name


#: Where PyTensor's own message ends and its debugging help (node dumps, the
#: stack that built a variable, flags to set) begins.
_HELP = ("\nApply node that caused", "\nBacktrace when", "\nHINT:", " Use the PyTensor flag")


def said(exc: BaseException) -> str:
    """PyTensor's message without the debugging help it appends, which holds
    stack frames (paths of this machine) that belong in no note."""
    text = str(exc)
    cut = min((i for i in (text.find(h) for h in _HELP) if i >= 0), default=len(text))
    return text[:cut].strip()
