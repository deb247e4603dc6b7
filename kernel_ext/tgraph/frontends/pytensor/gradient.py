"""The gradient view of a PyTensor target, checked against ``pytensor.grad``.

The gradient of the first floating-point output (summed when not a
scalar) with respect to the float inputs is rewritten as PyTensor would
compile it, then run with Python's ``perform`` beside PyTensor's own
``grad`` graph at the same inputs: a drawn gradient that disagrees is not
shown.
"""

from __future__ import annotations

import copy
import sys
from typing import Any

import numpy as np
import pytensor
from pytensor.compile.sharedvalue import SharedVariable
from pytensor.graph.basic import Constant, Variable
from pytensor.graph.fg import FunctionGraph
from pytensor.graph.replace import clone_replace
from pytensor.graph.traversal import graph_inputs
from pytensor.link.basic import PerformLinker
from pytensor.scalar import ScalarType
from pytensor.tensor.random.type import RandomType
from pytensor.tensor.type import TensorType

from ...graph import Graph
from ...protocol import CellInfo, Options, Target, ViewResult
from .capture import Plan, user_names
from .evaluate import dense
from .labels import said
from .makers import made_by
from .origins import AsWritten, gradient_placer
from .rewrites import rewrite
from .steps import credit
from .values import Drawn, check_values, drawn_fgraph
from .views import fgraph_view, view


def _is_float(var: Variable) -> bool:
    """Gradients are taken only with respect to float tensors (scalars, and
    xtensors, for which PyTensor says itself whether it can)."""
    # read only once loaded: importing pytensor.xtensor costs 0.1 s
    xtensor = getattr(sys.modules.get("pytensor.xtensor.type"), "XTensorType", ())
    if not isinstance(var.type, TensorType | ScalarType) and not isinstance(var.type, xtensor):
        return False
    return str(var.type.dtype).startswith(("float", "complex"))


def gradient(
    found: Plan,
    target: Target,
    options: Options,
    cell: CellInfo,
    keep: dict[str, Drawn] | None = None,
    as_written: AsWritten | None = None,
) -> ViewResult:
    """The rewritten gradient of the first float output, checked; notes say what was left out.

    With the graph as written in groups, it is drawn in a forward and a
    backward pass holding copies of those groups.
    """
    graph = Graph()
    notes = graph.notes
    empty = ViewResult(graph)
    cost = _cost(found, notes)
    if cost is None:
        return empty
    with made_by() as made:
        outputs = _gradients(*cost, _wrt(found, cost[0], options, notes), notes)
    if not outputs:
        return empty
    # through the givens: a minibatch given by an integer index needs the index
    grads = [g for _, g in outputs]
    reached = set(graph_inputs(clone_replace(grads, dict(found.givens)) if found.givens else grads))
    inputs = [v for v in found.explicit if v in reached]
    try:
        recorded = rewrite(inputs, grads, found.mode, givens=found.givens, no_default_updates=True)
    except Exception as exc:  # show the gradient as built rather than nothing
        notes.append(f"PyTensor could not rewrite the gradient: {said(exc)}")
        drawn, _ = view(outputs, cell, names=user_names(target))
        drawn.notes = notes
        return ViewResult(drawn)
    names = [n for n, _ in outputs]
    drawn, ids = fgraph_view(recorded.fgraph, names, cell, recorded)
    problem, checked = _check(recorded.fgraph, grads, found, target)
    if problem:
        notes.append(problem)
        return empty
    placer = gradient_placer(as_written() if as_written else None, recorded, grads, cost[0], made)
    if placer is not None:
        placer(drawn, ids)
    drawn.notes = notes + ([checked] if checked else [])
    if keep is not None:
        keep["gradient"] = drawn_fgraph(drawn, ids, recorded.fgraph, None, recorded)
    steps = credit(recorded, ids, "gradient", names, cell, drawn, placer)
    return ViewResult(drawn, steps.rewrites, steps.start, steps.notes)


def _cost(found: Plan, notes: list[str]) -> tuple[Variable, str] | None:
    """The scalar to differentiate and its name: the first float output, summed if need be."""
    floats = [(n, v) for n, v in found.outputs if _is_float(v)]
    if not floats:
        notes.append("no floating-point output: nothing to differentiate")
        return None
    name, out = floats[0]
    if len(found.outputs) > 1:
        notes.append(f"showing the gradient of {name}, the first floating-point output")
    if getattr(out.type, "ndim", 0) > 0:
        notes.append(f"{name} is not a scalar: showing the gradient of sum({name})")
        return out.sum(), f"sum({name})"
    return out, name


def _wrt(found: Plan, cost: Variable, options: Options, notes: list[str]) -> list[Variable]:
    """The float inputs to differentiate with respect to (``--wrt`` picks among them)."""
    shared = [v for v in graph_inputs([cost]) if isinstance(v, SharedVariable)]
    candidates = found.explicit + shared
    if options.wrt:
        picked = [v for v in candidates if v.name in options.wrt]
        missing = sorted(set(options.wrt) - {v.name for v in picked})
        if missing:
            notes.append(f"no input named {', '.join(missing)}")
        candidates = picked
    wrt = []
    for var in candidates:
        if _is_float(var):
            wrt.append(var)
        elif not isinstance(var.type, RandomType):  # never differentiable: no note
            label = var.name or str(var.type)
            numeric = isinstance(var.type, TensorType | ScalarType)  # a typed list has a dtype too
            kind = f"an integer input ({var.type.dtype})" if numeric else f"of type {var.type}"
            notes.append(f"{label} is {kind}: it has no gradient")
    if not wrt:
        notes.append("no floating-point input to differentiate with respect to")
    return wrt


def _gradients(
    cost: Variable, cost_name: str, wrt: list[Variable], notes: list[str]
) -> list[tuple[str, Variable]]:
    """``(∂cost/∂input, gradient)`` per input the cost depends on, by ``pytensor.grad``."""
    if not wrt:
        return []
    try:
        grads = pytensor.grad(cost, wrt, disconnected_inputs="ignore", return_disconnected="none")
    except Exception as exc:  # non-differentiable ops raise many types
        notes.append(f"PyTensor cannot differentiate {cost_name}: {said(exc)}")
        return []
    outputs = []
    for var, g in zip(wrt, grads, strict=True):
        label = var.name or "input"
        if g is None:
            notes.append(f"{cost_name} does not depend on {label}: its gradient is zero")
        else:
            outputs.append((f"∂{cost_name}/∂{label}", g))
    return outputs


def _evaluate(
    fgraph: FunctionGraph, inputs: list[Variable], values: dict[Variable, Any]
) -> list[Any]:
    """Run ``fgraph`` with each op's Python ``perform``: no compile, no rewrite.

    The graph's own features order its inplace ops, so a rewritten graph
    runs as it is; each input and each constant gets a copy, which inplace
    ops may destroy (the linker would hand them the user's constant itself).
    ``inputs`` are the variables ``fgraph``'s inputs stand for (it may hold clones).
    """
    constants = {v: [copy.deepcopy(v.data)] for v in fgraph.variables if isinstance(v, Constant)}
    thunk, ins, outs = PerformLinker().accept(fgraph).make_thunk(storage_map=constants)
    for var, box in zip(inputs, ins, strict=True):
        value = var.get_value() if isinstance(var, SharedVariable) else values[var]
        box.storage[0] = var.type.filter(copy.deepcopy(value))
    thunk()
    return [np.asarray(dense(o.storage[0])) for o in outs]


def _check(
    drawn: FunctionGraph, grads: list[Variable], found: Plan, target: Target
) -> tuple[str, str]:
    """(why the drawn gradient is wrong, or "") and the note saying it was checked.

    The drawn graph (rewritten) and PyTensor's own ``grad`` graph (as
    ``pytensor.grad`` built it) are both run with Python's ``perform`` at
    the same inputs; they must agree.
    """
    if target.effects:  # both runs would print, or call the user's Python
        return "", f"not checked numerically: {target.effects}, and a check would run it"
    try:
        values, where = check_values(found, target)
        reference = clone_replace(grads, dict(found.givens)) if found.givens else grads
        inputs = [v for v in graph_inputs(reference) if not isinstance(v, Constant)]
        expected = _evaluate(FunctionGraph(inputs, list(reference), clone=True), inputs, values)
        got = _evaluate(drawn, list(drawn.inputs), values)
    except Exception as exc:  # odd input types, ops without a Python perform
        return "", f"not checked numerically: {type(exc).__name__}: {said(exc)}"
    for want, have in zip(expected, got, strict=True):
        if want.shape != have.shape or not np.allclose(want, have, rtol=1e-6, atol=1e-9,
                                                       equal_nan=True):  # fmt: skip
            diff = np.max(np.abs(want - have)) if want.shape == have.shape else "shape"
            return (
                f"the drawn gradient disagrees with pytensor.grad at {where} "
                f"(largest difference {diff}): not shown"
            ), ""
    return "", f"checked against pytensor.grad at {where}"
