"""Every node's value on the cell's inputs, as PyTensor itself computes it.

Each node of a drawn view is run with its op's own Python ``perform``, in
topological order, so a node with several clients is computed once and every
value is PyTensor's. Inner graphs are run too: an ``OpFromGraph`` node by
its inner graph, a fused ``Composite`` by each of its scalar ops applied
elementwise, a ``LazyIfElse`` by the branch it takes (the other one's nodes
say they were not run, as an ``IfElse``'s do). Nothing is compiled and the
user's graph is not touched.

The optimized view is also compared with the graph as written on the same
inputs; when the outputs differ, the rewrites that changed the numbers are
found by running each recorded replacement's old and new variable.
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
from pytensor.graph.fg import Output
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

from ..graph import Graph
from . import (
    FLOAT_TOLERANCE,
    OutputDifference,
    ValueSummary,
    ViewValues,
    arrange,
    difference,
    reading,
    summarize,
)
from .pytensor_rewrites import Recorded
from .pytensor_views import _toposort, inner_graphs

#: A node of a graph, inner graphs' frozen nodes included (PyTensor 3.3 made
#: them a class of their own beside ``Apply``).
ANY_APPLY: type[Apply] = getattr(pytensor.graph.basic, "AbstractApply", Apply)
#: Recorded rewrites run one by one to find the one that changed a result.
MAX_BLAMED = 300

InputsOf = Callable[[Apply], Sequence[Variable]]


@dataclass
class Drawn:
    """A drawn view and the PyTensor graph it was drawn from.

    ``sources[i]`` is the variable the graph's ``inputs[i]`` stands for
    (a compiled function's inputs are clones of the user's variables).
    """

    graph: Graph
    ids: dict[Any, str]
    outputs: list[Variable]
    updates: list[Variable] = field(default_factory=list)
    inputs: list[Variable] = field(default_factory=list)
    sources: list[Variable] = field(default_factory=list)
    recorded: Recorded | None = None


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
    """The outputs of one node, computed by its op; inputs it would destroy are copied."""
    destroyed = {i for slots in (getattr(apply.op, "destroy_map", None) or {}).values()
                 for i in slots}  # fmt: skip
    args = [copy.deepcopy(v) if i in destroyed else v for i, v in enumerate(values)]
    if isinstance(apply.op, IfElse):  # lazy, so no perform: ``values`` is the branch taken
        return list(args[1:])
    storage: list[list[Any]] = [[None] for _ in apply.outputs]
    # What a Python linker does first: Elemwise picks each node's NumPy signature
    # here (log of an int8 constant computed in float16 otherwise).
    apply.op.prepare_node(apply, None, None, "py")
    apply.op.perform(apply, args, storage)
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


def summaries(drawn: Drawn, run: Run, view: str) -> ViewValues:
    """Each node id of the drawn view -> the summary of its value."""
    found = ViewValues(view)
    _fill(found.nodes, drawn.ids, run, drawn.outputs, drawn.updates)
    if any(_has_inner(key) for key in drawn.ids) and not run.inner:
        found.notes.append("no inner graph could be run")
    skipped = [
        key[1]
        for key in drawn.ids
        if _has_inner(key) and _run_key(key) not in run.inner and key[1] in _applies(run)
    ]
    if skipped:
        names = sorted({type(a.op).__name__ for a in skipped})
        found.notes.append(f"values inside {', '.join(names)} are not shown (they change per step)")
    return arrange(found, drawn.graph)


def _has_inner(key: Any) -> bool:
    """``("inner", apply)``, or ``("inner", apply, name)`` for one of several inner graphs."""
    return isinstance(key, tuple) and len(key) in (2, 3) and key[0] == "inner"


def _run_key(key: tuple[Any, ...]) -> Any:
    """The ``Run.inner`` key of a view's ``("inner", ...)`` key."""
    return key[1] if len(key) == 2 else key[1:]


def _applies(run: Run) -> set[Apply]:
    return {v.owner for v in run.values if v.owner is not None}


def _fill(
    nodes: dict[str, ValueSummary],
    ids: dict[Any, str],
    run: Run,
    outputs: Sequence[Variable],
    updates: Sequence[Variable],
) -> None:
    for key, node_id in ids.items():
        if _has_inner(key):
            inner_run = run.inner.get(_run_key(key))
            name = key[2] if len(key) == 3 else ""
            inner = next((g for g in inner_graphs(key[1].op) if g.name == name), None)
            if inner_run is not None and inner is not None:
                _fill(nodes, node_id, inner_run, list(inner.outputs), [])  # type: ignore[arg-type]
            continue
        if isinstance(key, tuple):
            kind, index = key[0], key[1]
            ends = (
                {"output": outputs, "update": updates}.get(kind) if isinstance(index, int) else None
            )
            if ends is not None and index < len(ends):
                nodes[node_id] = _summary(ends[index], run)
            continue
        if isinstance(key, ANY_APPLY):
            error = run.errors.get(key)
            nodes[node_id] = ValueSummary(error=error) if error else _summary(key.outputs[0], run)
        elif isinstance(key, Variable):
            nodes[node_id] = _summary(key, run)


def _summary(var: Variable, run: Run) -> ValueSummary:
    if var in run.values:
        return summarize(dense(run.values[var]))
    if isinstance(var, Constant):
        return summarize(dense(var.data))
    if isinstance(var, SharedVariable):
        return summarize(dense(var.get_value(borrow=True)))
    if var.owner is not None and var.owner in run.errors:
        return ValueSummary(error=run.errors[var.owner])
    return ValueSummary(error="not computed")


def dense(value: Any) -> Any:
    """A sparse matrix (SciPy's, as sparse variables hold) as the array it stands
    for, so its numbers are summarized and compared like any other value."""
    if hasattr(value, "toarray") and hasattr(value, "nnz"):
        return value.toarray()
    return value


def given_for(drawn: Drawn, values: dict[Variable, Any]) -> dict[Variable, Any]:
    """The drawn graph's inputs -> values, through the variables they stand for."""
    given: dict[Variable, Any] = {}
    for var, value in values.items():
        given[var] = _filtered(var, value)
    for inner, source in zip(drawn.inputs, drawn.sources, strict=False):
        if isinstance(source, SharedVariable):
            given[inner] = source.get_value(borrow=True)
        elif source in values:
            given[inner] = _filtered(inner, values[source])
    return given


def _filtered(var: Variable, value: Any) -> Any:
    """``value`` as ``var``'s type holds it (a list becomes an array), as a call does."""
    try:
        return var.type.filter(copy.deepcopy(value))
    except Exception:  # the op reports what it cannot take
        return value


def view_values(
    view: str,
    drawn: Drawn,
    values: dict[Variable, Any],
    where: str,
    made_up: bool,
    original: Drawn | None = None,
    names: list[str] | None = None,
    givens: Sequence[tuple[Variable, Variable]] = (),
) -> ViewValues:
    """The values of one drawn view; with ``original``, also how the outputs differ.

    The graph as written still holds the variables ``givens`` replace (a
    minibatch sliced from shared data): each gets its replacement's value.
    """
    given = _through(givens, given_for(drawn, values))
    run = evaluate(drawn.outputs + drawn.updates, given)
    found = summaries(drawn, run, view)
    found.inputs, found.made_up = where, made_up
    if original is not None:
        before = evaluate(
            original.outputs, _through(givens, given_for(original, values)), inner=False
        )
        found.differences = _differences(original, before, drawn, run, names or [], given)
    return found


def _through(
    givens: Sequence[tuple[Variable, Variable]], given: dict[Variable, Any]
) -> dict[Variable, Any]:
    for old, new in givens:
        if old not in given:
            run = evaluate([new], given, inner=False)
            if new in run.values:
                given[old] = run.values[new]
    return given


def _differences(
    original: Drawn,
    before: Run,
    drawn: Drawn,
    after: Run,
    names: list[str],
    given: dict[Variable, Any],
) -> list[OutputDifference]:
    found: list[OutputDifference] = []
    blamed: list[tuple[str, float]] | None = None
    for index, (old, new) in enumerate(zip(original.outputs, drawn.outputs, strict=False)):
        name = names[index] if index < len(names) else f"output {index}"
        if old not in before.values or new not in after.values:
            diff = OutputDifference(name, _summary(old, before), _summary(new, after))
            diff.reading = reading(diff, "one of them could not be computed")
            found.append(diff)
            continue
        a, b = dense(before.values[old]), dense(after.values[new])
        diff = OutputDifference(name, summarize(a), summarize(b))
        diff.abs_diff, diff.rel_diff, note = difference(a, b)
        if note or (diff.rel_diff or 0.0) > FLOAT_TOLERANCE:
            if blamed is None:
                blamed = _blame(drawn, given)
            diff.rewrites = [name for name, _ in blamed]
        diff.reading = reading(diff, note)
        found.append(diff)
    return found


def _blame(drawn: Drawn, given: dict[Variable, Any]) -> list[tuple[str, float]]:
    """Rewrites whose own replacement changed the value, largest change first.

    Each replacement's old and new variable are run as the graph was when
    they were made (nodes keep their first-seen inputs), on the same inputs.
    """
    recorded = drawn.recorded
    if recorded is None:
        return []
    history = recorded.history
    start = {var: given[var] for var in recorded.fgraph.inputs if var in given}

    def inputs_of(apply: Apply) -> Sequence[Variable]:
        return history.inputs.get(apply, apply.inputs)

    current = {node: list(inputs) for node, inputs in history.inputs.items()}
    outputs = list(history.outputs)
    run = Run(dict(start))
    changed: dict[int, float] = {}
    checked = 0
    for change in history.changes:
        rewrite = recorded.rewrites[change.step]
        node = change.node
        if isinstance(node.op, Output):
            old = outputs[node.op.idx]
            outputs[node.op.idx] = change.new
        else:
            slots = current.setdefault(node, list(node.inputs))
            old = slots[change.slot]
            slots[change.slot] = change.new
        if rewrite.noise or old is change.new or checked >= MAX_BLAMED:
            continue
        checked += 1
        evaluate([old, change.new], {}, inputs_of, inner=False, run=run)
        if old not in run.values or change.new not in run.values:
            continue
        _, rel, note = difference(run.values[old], run.values[change.new])
        size = 1.0 if note else (rel or 0.0)
        if size > FLOAT_TOLERANCE:
            changed[change.step] = max(changed.get(change.step, 0.0), size)
    ranked = sorted(changed.items(), key=lambda item: -item[1])
    names: list[tuple[str, float]] = []
    for step, size in ranked:
        name = recorded.rewrites[step].name
        if name not in [n for n, _ in names]:
            names.append((name, size))
    return names
