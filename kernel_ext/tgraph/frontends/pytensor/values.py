"""Every node's value on the cell's inputs, and how the optimized view differs.

A drawn view is run node by node (``evaluate``) on the cell's last call, or
made-up inputs, and each node's value summarised. The optimized view is
also compared with the graph as written on the same inputs; when the
outputs differ, the rewrites that changed the numbers are found by running
each recorded replacement's old and new variable.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from pytensor.compile.sharedvalue import SharedVariable
from pytensor.graph.basic import Apply, Constant, Variable
from pytensor.graph.fg import FunctionGraph, Output

from ...graph import Graph
from ...protocol import Target, Traced, TraceError
from ...quiet import quiet
from ...timing import TimingError
from ...values import (
    FLOAT_TOLERANCE,
    OutputDifference,
    ValueSummary,
    ViewValues,
    arrange,
    difference,
    reading,
    summarize,
)
from .capture import Plan, PyTensorTarget, arguments
from .evaluate import ANY_APPLY, Run, dense, evaluate
from .rewrites import Recorded
from .views import _ends, inner_graphs

#: Made-up inputs of the gradient check: unknown dimensions get this size.
CHECK_SIZE = 3
#: Recorded rewrites run one by one to find the one that changed a result.
MAX_BLAMED = 300


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


def drawn_symbolic(graph: Graph, ids: dict[Any, str], found: Plan) -> Drawn:
    explicit = found.explicit
    return Drawn(
        graph,
        ids,
        [v for _, v in found.outputs],
        [u for _, u in found.updates],
        list(explicit),
        list(explicit),
    )


def drawn_fgraph(
    graph: Graph,
    ids: dict[Any, str],
    fgraph: FunctionGraph,
    target: Target | None,
    recorded: Recorded | None,
) -> Drawn:
    """A rewritten graph as drawn; a compiled function's inputs stand for its ``In``s."""
    own = len(fgraph.outputs) - len(fgraph.update_mapping or {})  # the rest are updates
    outputs, updates = _ends(fgraph, fgraph.outputs, [""] * own)
    sources = list(fgraph.inputs)
    maker = getattr(target.obj if target is not None else None, "maker", None)
    if maker is not None and maker.fgraph is fgraph:
        sources = [i.variable for i in maker.inputs]
    return Drawn(
        graph,
        ids,
        [v for _, v in outputs],
        [u for _, u in updates],
        list(fgraph.inputs),
        sources,
        recorded,
    )


def node_values(
    view: str, drawn: dict[str, Drawn], found: Plan, target: Target, names: list[str]
) -> ViewValues:
    """Every node's value in ``view``, on the cell's last call or made-up inputs."""
    if view not in drawn:
        raise TraceError(f"no values for the {view} view: it has no graph to run")
    try:
        values, where = check_values(found, target)
    except TimingError as error:
        raise TraceError(str(error)) from None
    original = drawn.get("original") if view == "optimized" else None
    with quiet():
        return view_values(
            view,
            drawn[view],
            values,
            where,
            where == "made-up inputs",
            original,
            names,
            found.givens,
        )


def values_of_made(made: list[Traced], view: str) -> ViewValues:
    """A deferred target's values, from the trace its first view made."""
    if not made or made[0].values is None:
        raise TraceError(f"no values for the {view} view: it is not drawn yet")
    return made[0].values(view)


def check_values(found: Plan, target: Target) -> tuple[dict[Variable, Any], str]:
    """Values for the explicit inputs: the cell's last call, else made up."""
    from .timing import made_input

    explicit = found.explicit
    args = arguments(target)
    if args is not None:
        values = dict(zip(explicit, args, strict=False))
        by_name = {v.name: v for v in explicit}
        for key, value in (target.kwargs or {}).items():
            if key in by_name:
                values[by_name[key]] = value
        return values, _where(target)
    rng = np.random.default_rng(0)
    return {v: made_input(v, CHECK_SIZE, rng) for v in explicit}, "made-up inputs"


def _where(target: Target) -> str:
    """Where a target's arguments came from, in words."""
    source = target.args_from if isinstance(target, PyTensorTarget) else ""
    return {"call": "the cell's inputs", "": "the given inputs", "given": "the given inputs"}.get(
        source, source
    )
