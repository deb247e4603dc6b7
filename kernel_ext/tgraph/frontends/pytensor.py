"""PyTensor -> the common graph model: graph as written, rewritten, gradient.

Targets are symbolic variables and compiled functions. A compiled function
keeps only its rewritten graph (``function`` clones the outputs and rewrites
the clones in place), so while a cell runs we record what each
``pytensor.function`` call was given; later cells fall back to matching the
user's variables through the stack trace the clones share with them.
"""

from __future__ import annotations

import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import pytensor
import pytensor.compile.maker as maker_module
from pytensor.compile.executor import Function
from pytensor.compile.io import SymbolicOutput
from pytensor.compile.mode import Mode, get_mode
from pytensor.compile.sharedvalue import SharedVariable
from pytensor.graph.basic import Constant, Variable, equal_computations
from pytensor.graph.fg import FunctionGraph
from pytensor.graph.traversal import ancestors, graph_inputs
from pytensor.tensor.type import TensorType

from ..graph import Graph, GraphBundle
from . import CellInfo, Declared, Options, Target, TraceError
from .pytensor_rewrites import describe, rewrite, value_preview
from .pytensor_views import Steps, credit, dims_text, fgraph_view, shape_text, view

_DEFAULTS_REMOVED = "Inputs with default values are deprecated"


@dataclass
class _Call:
    """What one ``pytensor.function`` call was given, before it cloned it."""

    inputs: list[Any]
    outputs: list[Variable]
    updates: list[tuple[Variable, Variable]]
    givens: list[tuple[Variable, Variable]]


# Keyed weakly by the ``In`` objects and cloned outputs the compiled
# function keeps, so a function's record lives exactly as long as it does.
_CALLS: weakref.WeakKeyDictionary[Any, _Call] = weakref.WeakKeyDictionary()


def _pairs(value: Any) -> list[tuple[Variable, Variable]]:
    if not value:
        return []
    items = value.items() if isinstance(value, dict) else value
    return [(a, b) for a, b in items]


def _as_list(outputs: Any) -> list[Any]:
    if outputs is None:
        return []
    return list(outputs) if isinstance(outputs, list | tuple) else [outputs]


def _unwrap(out: Any) -> Variable:
    return out.variable if isinstance(out, SymbolicOutput) else out


@contextmanager
def _recording_calls() -> Iterator[None]:
    """Wrap the step of ``function`` that still sees the user's variables."""
    original = maker_module.construct_function_ins_and_outs

    def construct(params: Any, outputs: Any = None, updates: Any = None, givens: Any = None,
                  *args: Any, **kwargs: Any) -> Any:  # fmt: skip
        ins, outs = original(params, outputs, updates, givens, *args, **kwargs)
        call = _Call(
            list(params),
            [_unwrap(o) for o in _as_list(outputs)],
            _pairs(updates),
            _pairs(givens),
        )
        for key in [*ins, *(_unwrap(o) for o in _as_list(outs))]:
            _CALLS[key] = call
        return ins, outs

    maker_module.construct_function_ins_and_outs = construct
    try:
        yield
    finally:
        maker_module.construct_function_ins_and_outs = original


def _call_of(fn: Function) -> _Call | None:
    for key in [*fn.maker.inputs, *(o.variable for o in fn.maker.outputs)]:
        if key in _CALLS:
            return _CALLS[key]
    return None


def _same_origin(clone: Variable, var: Variable) -> bool:
    """``function`` clones share the tag, hence the very trace list object."""
    trace = getattr(clone.tag, "trace", None)
    return bool(trace) and trace is getattr(var.tag, "trace", None)


def _originals(fn: Function, candidates: list[Variable]) -> list[Variable | None]:
    call = _call_of(fn)
    if call is not None:
        return list(call.outputs)
    found: list[Variable | None] = []
    for out in fn.maker.outputs:
        match = [v for v in candidates if _same_origin(out.variable, v)]
        found.append(match[0] if match else None)
    return found


@dataclass
class PyTensorTarget(Target):
    """A target with the user's names for the variables it draws."""

    named: dict[str, Any] = field(default_factory=dict)


@dataclass
class _Plan:
    """A target reduced to what ``function`` would be called with."""

    inputs: list[Any]
    outputs: list[tuple[str, Variable]]
    mode: Mode
    updates: list[tuple[Variable, Variable]] = field(default_factory=list)
    givens: list[tuple[Variable, Variable]] = field(default_factory=list)
    compiled: FunctionGraph | None = None
    notes: list[str] = field(default_factory=list)


def _free_inputs(outputs: list[Variable]) -> list[Variable]:
    return [v for v in graph_inputs(outputs) if not isinstance(v, Constant | SharedVariable)]


def _out_name(var: Variable, named: dict[str, Any], fallback: str) -> str:
    for name, value in named.items():
        if value is var:
            return name
    return var.name or fallback


def _named(target: Target, outputs: list[Variable]) -> list[tuple[str, Variable]]:
    named = target.named if isinstance(target, PyTensorTarget) else {}
    many = len(outputs) > 1
    return [
        (_out_name(v, named, f"{target.name}[{i}]" if many else target.name), v)
        for i, v in enumerate(outputs)
    ]


def _plan(target: Target) -> _Plan:
    obj = target.obj
    if isinstance(obj, Variable):
        return _Plan(_free_inputs([obj]), [(target.name, obj)], get_mode(None))
    if not isinstance(obj, Function):
        raise TraceError(f"{target.name} is not a PyTensor variable or compiled function")
    maker = obj.maker
    mode = get_mode(maker.mode)
    call = _call_of(obj)
    if call is not None:
        outs = _named(target, call.outputs)
        return _Plan(call.inputs, outs, mode, call.updates, call.givens, maker.fgraph)
    plan = _Plan([i.variable for i in maker.inputs if not i.shared], [], mode)
    plan.compiled = maker.fgraph
    named = target.named if isinstance(target, PyTensorTarget) else {}
    originals = _originals(obj, [v for v in named.values() if isinstance(v, Variable)])
    found = [v for v in originals if v is not None]
    if len(found) < len(originals) or any(i.update is not None for i in maker.inputs):
        plan.notes.append(
            f"{target.name} was compiled outside %%tgraph: PyTensor keeps only the "
            "compiled graph, so the graph as written and the rewrites are not available"
        )
        return plan
    plan.outputs = _named(target, found)
    return plan


def _is_float(var: Variable) -> bool:
    return str(getattr(var.type, "dtype", "")).startswith(("float", "complex"))


@dataclass
class _Gradient:
    graph: Graph
    steps: Steps | None = None


def _add_steps(bundle: GraphBundle, view_name: str, steps: Steps) -> None:
    bundle.rewrites += steps.rewrites
    bundle.notes += steps.notes
    if steps.start is not None:
        bundle.rewrite_start[view_name] = steps.start


def _gradient(plan: _Plan, options: Options, cell: CellInfo) -> _Gradient:
    empty = _Gradient(Graph())
    notes = empty.graph.notes
    floats = [(n, v) for n, v in plan.outputs if _is_float(v)]
    if not floats:
        notes.append("no floating-point output: nothing to differentiate")
        return empty
    name, out = floats[0]
    if len(plan.outputs) > 1:
        notes.append(f"showing the gradient of {name}, the first floating-point output")
    cost, cost_name = out, name
    if getattr(out.type, "ndim", 0) > 0:
        cost, cost_name = out.sum(), f"sum({name})"
        notes.append(f"{name} is not a scalar: showing the gradient of {cost_name}")
    explicit = [getattr(i, "variable", i) for i in plan.inputs]
    shared = [v for v in graph_inputs([cost]) if isinstance(v, SharedVariable)]
    candidates = explicit + shared
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
        else:
            label = var.name or str(var.type)
            notes.append(f"{label} is an integer input ({var.type.dtype}): it has no gradient")
    if not wrt:
        notes.append("no floating-point input to differentiate with respect to")
        return empty
    try:
        grads = pytensor.grad(cost, wrt, disconnected_inputs="ignore", return_disconnected="none")
    except Exception as exc:  # non-differentiable ops raise many types
        notes.append(f"PyTensor cannot differentiate {cost_name}: {exc}")
        return empty
    outputs = []
    for var, g in zip(wrt, grads, strict=True):
        label = var.name or "input"
        if g is None:
            notes.append(f"{cost_name} does not depend on {label}: its gradient is zero")
        else:
            outputs.append((f"∂{cost_name}/∂{label}", g))
    if not outputs:
        return empty
    inputs = [v for v in explicit if v in set(graph_inputs([g for _, g in outputs]))]
    try:
        recorded = rewrite(inputs, [g for _, g in outputs], plan.mode, givens=plan.givens)
    except Exception as exc:  # show the gradient as built rather than nothing
        notes.append(f"PyTensor could not rewrite the gradient: {exc}")
        graph, _ = view(outputs, cell)
        graph.notes = notes
        return _Gradient(graph)
    names = [n for n, _ in outputs]
    graph, ids = fgraph_view(recorded.fgraph, names, cell, recorded)
    graph.notes = notes
    return _Gradient(graph, credit(recorded, ids, "gradient", names, cell, graph))


def _tag_givens(graph: Graph, ids: dict[Any, str], givens: list[tuple[Variable, Variable]]) -> None:
    for old, new in givens:
        key = old if old in ids else old.owner
        if key in ids:
            node = graph.node(ids[key])
            node.tags.append("given")
            node.attrs["given"] = describe(new)


class PyTensorFrontend:
    framework = "pytensor"
    module = "pytensor"

    def observe(self) -> Any:
        return _recording_calls()

    def targets(self, changed: dict[str, Any], cell: CellInfo) -> list[Target]:
        variables = {n: v for n, v in changed.items() if isinstance(v, Variable) and v.owner}
        claimed: set[int] = set()
        found: dict[int, PyTensorTarget] = {}
        for name, value in changed.items():
            if isinstance(value, Function):
                if id(value) in found:
                    found[id(value)].aliases.append(name)
                    continue
                originals = _originals(value, list(variables.values()))
                call = _call_of(value)
                drawn = [v for v in originals if v is not None]
                drawn += [u for _, u in call.updates] if call else []
                named = {n: v for n, v in variables.items() if any(v is d for d in drawn)}
                claimed.update(id(v) for v in named.values())
                found[id(value)] = PyTensorTarget(
                    name, self.framework, value, aliases=list(named), named=named
                )
        for name, value in variables.items():
            if id(value) in claimed:
                continue
            if id(value) in found:
                found[id(value)].aliases.append(name)
            else:
                found[id(value)] = PyTensorTarget(name, self.framework, value, named={name: value})
        return list(found.values())

    def declared(self, changed: dict[str, Any]) -> list[Declared]:
        used: set[Variable] = set()
        for target in self.targets(changed, CellInfo("")):
            plan = _plan(target)
            ends = [v for _, v in plan.outputs] + [getattr(i, "variable", i) for i in plan.inputs]
            used.update(ancestors(ends))
        rows = []
        for name, value in changed.items():
            if _library_object(name, value):
                continue
            items = list(value) if isinstance(value, list | tuple) else [value]
            for i, item in enumerate(items):
                label = name if len(items) == 1 and items[0] is value else f"{name}[{i}]"
                row = _declared_row(label, item, used)
                if row is not None:
                    rows.append(row)
        return rows

    def build(self, target: Target, options: Options, cell: CellInfo) -> GraphBundle:
        plan = _plan(target)
        bundle = GraphBundle(target.name, "pytensor", {}, notes=list(plan.notes))
        bundle.info["mode"] = type(plan.mode.linker).__name__
        for old, new in plan.givens:
            bundle.notes.append(f"givens: {describe(old)} is replaced by {describe(new)}")
        names = [n for n, _ in plan.outputs]
        if not plan.outputs and not plan.updates:
            compiled = plan.compiled
            assert compiled is not None  # a plan without outputs comes from a function
            count = len(compiled.outputs) - len(compiled.update_mapping or {})
            names = [f"{target.name}[{i}]" for i in range(count)] if count != 1 else [target.name]
            bundle.views["optimized"], _ = fgraph_view(compiled, names, cell)
            bundle.views["original"] = Graph(notes=list(plan.notes))
            bundle.views["gradient"] = Graph(notes=list(plan.notes))
            return bundle
        original, ids = view(plan.outputs, cell, plan.updates)
        _tag_givens(original, ids, plan.givens)
        bundle.views["original"] = original
        outs = [v for _, v in plan.outputs]
        try:
            recorded = rewrite(plan.inputs, outs, plan.mode, plan.updates, plan.givens)
        except Exception as exc:
            raise TraceError(f"PyTensor could not rewrite {target.name}: {exc}") from exc
        optimized, ids = fgraph_view(recorded.fgraph, names, cell, recorded)
        steps = credit(recorded, ids, "optimized", names, cell, optimized)
        compiled = plan.compiled
        if compiled is not None and not equal_computations(
            recorded.fgraph.outputs, compiled.outputs, recorded.fgraph.inputs, compiled.inputs
        ):
            bundle.notes.append(
                "the recorded rewrites end in a different graph than the compiled one: "
                "showing the compiled graph"
            )
            optimized, ids = fgraph_view(compiled, names, cell)
        bundle.views["optimized"] = optimized
        _add_steps(bundle, "optimized", steps)
        gradient = _gradient(plan, options, cell)
        bundle.views["gradient"] = gradient.graph
        if gradient.steps is not None:
            _add_steps(bundle, "gradient", gradient.steps)
        return bundle

    def hint(self, error: BaseException) -> str | None:
        if isinstance(error, ValueError) and _DEFAULTS_REMOVED in str(error):
            return (
                "PyTensor removed default values on inputs (In(y, value=1)): compile "
                "f = function([x, y], z), then bind the default in Python with "
                "functools.partial(f, y=1) or def g(x, y=1): return f(x, y)"
            )
        return None


def _library_object(name: str, value: Any) -> bool:
    """``from pytensor.tensor import *`` brings PyTensor's own types (``dmatrix``...)."""
    return any(getattr(module, name, None) is value for module in (pytensor, pytensor.tensor))


def _declared_row(name: str, value: Any, used: set[Variable]) -> Declared | None:
    if isinstance(value, TensorType):
        return Declared(name, "TensorType", value.dtype, str(value.ndim), dims_text(value.shape))
    if not isinstance(value, Variable) or value.owner is not None or value in used:
        return None
    if isinstance(value, Constant):
        return None
    kind = str(value.type).split("(")[0]
    shape = shape_text(value)
    if isinstance(value, SharedVariable):
        kind = f"shared {kind}"
        shape = f"{shape} value {value_preview(value.get_value(borrow=True))}"
    dtype = str(getattr(value.type, "dtype", ""))
    ndim = str(getattr(value.type, "ndim", ""))
    return Declared(name, kind, dtype, ndim, shape)
