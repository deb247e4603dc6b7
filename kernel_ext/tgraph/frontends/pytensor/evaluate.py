"""Running a PyTensor graph node by node, as PyTensor itself computes it.

Each node is run with its op's own Python ``perform``, in topological
order, so a node with several clients is computed once and every value is
PyTensor's. Inner graphs are run too: an ``OpFromGraph`` node by its inner
graph, a fused ``Composite`` by each of its scalar ops applied elementwise,
a ``LazyIfElse`` by the branch it takes (the other one's nodes say they
were not run, as an ``IfElse``'s do). Nothing is compiled and the user's
graph is not touched.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pytensor.graph.basic
from pytensor.compile.builders import OpFromGraph
from pytensor.compile.sharedvalue import SharedVariable
from pytensor.graph.basic import Apply, Constant, Variable
from pytensor.graph.traversal import toposort
from pytensor.scalar.basic import Composite
from pytensor.tensor.elemwise import Elemwise
from pytensor.tensor.type import tensor

try:
    from pytensor.conditional.op import IfElse, LazyIfElse

    #: PyTensor 3.3's optimized ifelse, each branch an inner graph.
    LAZY_IFELSE: tuple[type, ...] = (LazyIfElse,)
except ImportError:  # PyTensor before 3.3 (3.3 deprecates the old place), no LazyIfElse
    from pytensor.ifelse import IfElse

    LAZY_IFELSE = ()

from .views import _toposort, inner_graphs

#: A node of a graph, inner graphs' frozen nodes included (PyTensor 3.3 made
#: them a class of their own beside ``Apply``).
ANY_APPLY: type[Apply] = getattr(pytensor.graph.basic, "AbstractApply", Apply)

InputsOf = Callable[[Apply], Sequence[Variable]]


@dataclass
class Run:
    """Values of one graph's variables, and why some have none."""

    values: dict[Variable, Any] = field(default_factory=dict)
    errors: dict[Apply, str] = field(default_factory=dict)
    #: Inner graphs: the owning apply (with the graph's name where the op has
    #: several, as a ``LazyIfElse`` its branches) -> the run of its inner variables.
    inner: dict[Any, Run] = field(default_factory=dict)


def _own(apply: Apply) -> Sequence[Variable]:
    inputs: Sequence[Variable] = apply.inputs
    return inputs


def evaluate(
    ends: list[Variable],
    given: dict[Variable, Any],
    inputs_of: InputsOf | None = None,
    inner: bool = True,
    run: Run | None = None,
) -> Run:
    """Run every node ``ends`` need with its op's ``perform``.

    ``inputs_of`` reads a node's inputs (a rewrite's history keeps them as
    first seen); a node whose input has no value gets an error, not a guess.
    """
    run = run or Run()
    run.values.update(given)
    read = inputs_of or _own
    if inputs_of is None:
        applies = list(toposort(ends, blockers=list(given)))
    else:
        applies = _toposort(ends, inputs_of)
    for apply in applies:
        if all(o in run.values for o in apply.outputs):
            continue
        args = _taken(apply, read(apply), run)
        values = []
        missing = None
        for var in args:
            if var in run.values:
                values.append(run.values[var])
            elif isinstance(var, Constant):
                values.append(var.data)
            elif isinstance(var, SharedVariable):
                run.values[var] = var.get_value(borrow=True)
                values.append(run.values[var])
            else:
                missing = var
                break
        if missing is not None:
            run.errors[apply] = f"no value for its input {missing.name or missing.type}"
            continue
        found = _inner(apply, values) if inner else {}
        run.inner.update(found)
        try:
            outs = _inner_outputs(apply, found, values) if found else None
            outs = outs if outs is not None else perform(apply, values)
        except Exception as error:  # an op without a Python implementation...
            run.errors[apply] = f"{type(error).__name__}: {error}"
            continue
        run.values.update(zip(apply.outputs, outs, strict=True))
    if any(isinstance(a.op, IfElse) for a in applies):
        for apply in _not_run(ends, applies, read, run):
            for out in apply.outputs:
                run.values.pop(out, None)
            run.errors[apply] = NOT_RUN
    return run


#: What a node only an untaken ifelse branch needs shows: PyTensor skips it.
NOT_RUN = "not run: the ifelse took the other branch"


def _taken(apply: Apply, args: Sequence[Variable], run: Run) -> Sequence[Variable]:
    """An ifelse's condition and the branch it takes, once the condition is known
    (the ifelse is lazy: the other branch may fail, an empty ``max`` say)."""
    op = apply.op
    if not isinstance(op, IfElse):
        return args
    cond = args[0]
    value = cond.data if isinstance(cond, Constant) else run.values.get(cond)
    if value is None:
        return args
    n = op.n_outs
    return [cond, *(args[1 : 1 + n] if value else args[1 + n : 1 + 2 * n])]


def _not_run(ends: list[Variable], applies: list[Apply], read: InputsOf, run: Run) -> set[Apply]:
    """Nodes that only the branches no ifelse took need."""
    among = set(applies)
    reached: set[Apply] = set()
    stack = [v.owner for v in ends if v.owner is not None]
    while stack:
        apply = stack.pop()
        if apply in reached or apply not in among:
            continue
        reached.add(apply)
        stack += [v.owner for v in _taken(apply, read(apply), run) if v.owner is not None]
    return among - reached


def _branch(condition: Any) -> str:
    """The name of the branch a ``LazyIfElse`` takes."""
    return "true_branch" if condition else "false_branch"


def _inner_outputs(apply: Apply, found: dict[Any, Run], values: list[Any]) -> list[Any] | None:
    """An inner graph's outputs from its run, where the op's own ``perform``
    would run it again: a fused Composite loops in Python, and an
    ``OpFromGraph`` compiles its graph (which refuses the in-place random
    draws a backend's rewrites leave inside it), as does each branch of a
    ``LazyIfElse``."""
    op = apply.op
    scalar = getattr(op, "scalar_op", None)
    run = found.get(apply)
    if isinstance(op, OpFromGraph):
        inner_outputs = op.inner_outputs
    elif isinstance(op, Elemwise) and isinstance(scalar, Composite):
        inner_outputs = scalar.inner_outputs
    elif isinstance(op, LAZY_IFELSE):
        name = _branch(values[0])
        run = found.get((apply, name))
        inner_outputs = next(list(g.outputs) for g in inner_graphs(op) if g.name == name)
    else:
        return None
    if run is None:
        return None
    outs = []
    for inner_out, out in zip(inner_outputs, apply.outputs, strict=True):
        if inner_out not in run.values:
            return None
        value = run.values[inner_out]
        dtype = getattr(out.type, "dtype", None)  # random generators have none
        outs.append(value if dtype is None else np.asarray(value, dtype=dtype))
    return outs


def perform(apply: Apply, values: list[Any]) -> list[Any]:
    """The outputs of one node, computed by its op.

    Inputs it destroys or returns a view of are copied, each slot apart: a
    view can be written to later, and PyTensor 3.3's optimized scan writes
    its carried outputs into the very initial values they view, which may
    be the user's constant (``pt.zeros(())``) or a shared variable's buffer.
    """
    op = apply.op
    maps = [getattr(op, "destroy_map", None) or {}, getattr(op, "view_map", None) or {}]
    touched = {i for found in maps for slots in found.values() for i in slots}
    args = [copy.deepcopy(v) if i in touched else v for i, v in enumerate(values)]
    if isinstance(op, IfElse):  # lazy, so no perform: ``values`` is the branch taken
        return list(args[1:])
    storage: list[list[Any]] = [[None] for _ in apply.outputs]
    # What a Python linker does first: Elemwise picks each node's NumPy signature
    # here (log of an int8 constant computed in float16 otherwise).
    op.prepare_node(apply, None, None, "py")
    op.perform(apply, args, storage)
    return [box[0] for box in storage]


def _inner(apply: Apply, values: list[Any]) -> dict[Any, Run]:
    """The values inside an OpFromGraph, a fused Composite or the branch a
    ``LazyIfElse`` takes, on this node's inputs, keyed as ``Run.inner``."""
    op = apply.op
    if isinstance(op, OpFromGraph):
        given = dict(zip(op.inner_inputs, values, strict=True))
        return {apply: evaluate(list(op.inner_outputs), given)}
    if isinstance(op, LAZY_IFELSE):
        taken = _branch(values[0])
        runs: dict[Any, Run] = {}
        for branch in inner_graphs(op):
            # Each branch is its own run: frozen inner graphs share interned nodes.
            given = dict(zip(branch.inputs, values[1:], strict=True))
            ends = list(branch.outputs)
            if branch.name == taken:
                runs[(apply, branch.name)] = evaluate(ends, given)
            else:
                skipped = toposort(ends, blockers=list(given))
                runs[(apply, branch.name)] = Run(given, {a: NOT_RUN for a in skipped})
        return runs
    scalar = getattr(op, "scalar_op", None)
    if isinstance(op, Elemwise) and isinstance(scalar, Composite):
        run = Run(dict(zip(scalar.inner_inputs, values, strict=True)))
        for node in toposort(list(scalar.inner_outputs), blockers=list(scalar.inner_inputs)):
            try:
                args = [v.data if isinstance(v, Constant) else run.values[v] for v in node.inputs]
                outs = perform(_elementwise(node.op, args), args)
            except Exception as error:
                run.errors[node] = f"{type(error).__name__}: {error}"
                continue
            run.values.update(zip(node.outputs, outs, strict=True))
        return {apply: run}
    return {}


_ELEMENTWISE: dict[tuple[Any, ...], Apply] = {}


def _elementwise(scalar_op: Any, args: list[Any]) -> Apply:
    """A tensor node applying ``scalar_op`` elementwise to arrays like ``args``
    (made once per op and input types: building one costs milliseconds)."""
    arrays = [np.asarray(a) for a in args]
    kinds = tuple((a.dtype.str, tuple(s == 1 for s in a.shape)) for a in arrays)
    key = (scalar_op, kinds)
    node = _ELEMENTWISE.get(key)
    if node is None:
        inputs = [tensor(dtype=a.dtype, shape=tuple(1 if s == 1 else None for s in a.shape))
                  for a in arrays]  # fmt: skip
        node = Elemwise(scalar_op).make_node(*inputs)
        if len(_ELEMENTWISE) > 4096:
            _ELEMENTWISE.clear()
        _ELEMENTWISE[key] = node
    return node


def dense(value: Any) -> Any:
    """A sparse matrix (SciPy's, as sparse variables hold) as the array it stands
    for, so its numbers are summarized and compared like any other value."""
    if hasattr(value, "toarray") and hasattr(value, "nnz"):
        return value.toarray()
    return value
