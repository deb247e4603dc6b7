"""The PyTensor frontend: targets, views, gradient, devices, timing and profiles.

Targets are symbolic variables and compiled functions, one per graph: a
named variable inside another target's graph is drawn there, under its
name. The graph as written is drawn in the cell; the optimized and gradient
views are built there too when cheap (a small graph, or a function whose
rewrites were recorded while the cell compiled it), and otherwise later, on
request, as ``LazyView`` builders.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import replace
from typing import Any

import pytensor
from pytensor.compile.executor import Function
from pytensor.compile.sharedvalue import SharedVariable
from pytensor.graph.basic import Apply, Constant, Variable, equal_computations
from pytensor.graph.traversal import ancestors
from pytensor.tensor.type import TensorType

from ...devices import Devices
from ...graph import Graph, GraphBundle
from ...profile import ProfileResult
from ...protocol import (
    CellInfo,
    Declared,
    LazyView,
    Offers,
    Options,
    Target,
    Traced,
    TraceError,
    ViewOffer,
    ViewResult,
)
from ...timing import TimingError, TimingResult
from .callspans import recording_spans
from .capture import (
    Plan,
    PyTensorTarget,
    Ran,
    call_of,
    compiled_inside,
    last_arguments,
    originals,
    plan,
    ran,
    recording_arguments,
    recording_calls,
    symbolic_outputs,
    user_names,
)
from .effects import effects_of
from .gradient import gradient
from .labels import describe, said, value_preview
from .makers import made_by
from .makers import recorded as grad_maker
from .origins import AsWritten, rewritten_placer, split_passes
from .places import group_calls
from .pymc import INITIAL_POINT, group_terms, model_target, sampler_function
from .pymc import models as pymc_models
from .pymc import variables as model_variables
from .rewrites import Recorded, compiled_record, recording_compiles, rewrite
from .steps import MAX_STEP_NODES, credit
from .values import Drawn, drawn_fgraph, drawn_symbolic, node_values, values_of_made
from .views import dims_text, fgraph_view, shape_text, view

_DEFAULTS_REMOVED = "Inputs with default values are deprecated"


#: Graphs of at most this many nodes (as written) get their optimized view
#: in the cell, and their gradient up to the second number. Rewriting costs
#: about 1 ms a node (a 100-node graph added 0.4 s to its cell), and
#: differentiating means rewriting and checking a second graph (80 ms for
#: the logistic function), so the gradient always waits for the kernel to be idle.
CHEAP_NODES = 40
CHEAP_GRADIENT_NODES = 0
#: Graphs of more nodes than this (as written, counting the inner graphs of
#: Scan and the like) are drawn after the cell too: drawing and laying out
#: costs about 0.2 ms a node, and the cell's reply may come 0.15 s late at most.
DRAWN_IN_CELL = 300
#: A function compiled outside %%tgraph is drawn from its compiled graph
#: (no steps to replay) in the cell up to this many nodes.
RECORDED_NODES = 100


VIEWS = [ViewOffer("original", "Original"), ViewOffer("optimized", "Optimized"),
         ViewOffer("gradient", "Gradient")]  # fmt: skip


def _function_target(
    name: str, value: Function, variables: dict[str, Variable], framework: str
) -> PyTensorTarget:
    """A compiled function, its graph as written found among the user's ``variables``."""
    outs = [v for v in originals(value, list(variables.values())) if v is not None]
    call = call_of(value)
    drawn = outs + ([u for _, u in call.updates] if call else [])
    inside = set(ancestors(drawn)) if drawn else set()
    named = {n: v for n, v in variables.items() if v in inside}
    aliases = [n for n, v in named.items() if any(v is o for o in outs) and n != name]
    target = PyTensorTarget(name, framework, value, aliases=aliases, named=named)
    recorded = last_arguments(value)
    if recorded is not None:
        target.args, target.kwargs = recorded
        target.args_from = "call"
    return target


def _called_target(call: Ran, framework: str) -> PyTensorTarget | None:
    """A function the cell called but did not bind: named as the call wrote it,
    or after the library role that ran it (a sampler's logp); a library's own
    helper is not a target."""
    sampler = sampler_function(call) if call.callee is None else None
    name = call.callee or (sampler.name if sampler is not None else None)
    if name is None:
        return None
    theirs = {
        n: v
        for n, v in (call.namespace or {}).items()
        if isinstance(v, Variable) and v.owner is not None and not n.startswith("_")
    }
    target = _function_target(name, call.fn, theirs, framework)
    if sampler is not None:
        record = call_of(call.fn)
        if record is not None:  # its outputs drawn as logp and dlogp
            target.named.update(zip(sampler.outputs, record.outputs, strict=False))
        target.args = target.kwargs = None
        target.make_args, target.args_from = sampler.make_args, INITIAL_POINT
    return target


class PyTensorFrontend:
    framework = "pytensor"
    title = "PyTensor"

    @contextmanager
    def _observing(self) -> Iterator[None]:
        with ExitStack() as stack:
            stack.enter_context(recording_calls())
            stack.enter_context(recording_compiles())
            stack.enter_context(recording_arguments())
            stack.enter_context(made_by(in_cell=True))
            stack.enter_context(recording_spans())
            yield

    def observe(self) -> Any:
        """Record what the cell's ``function`` calls are given, their rewrites
        as PyTensor runs them, and each compiled function's last arguments."""
        return self._observing()

    def targets(self, changed: dict[str, Any], cell: CellInfo) -> list[Target]:
        variables = {n: v for n, v in changed.items() if isinstance(v, Variable) and v.owner}
        claimed: set[int] = set()
        found: dict[int, PyTensorTarget] = {}
        for name, model in pymc_models(changed):
            found[id(model)] = model_target(name, model, self.framework)
            inside = model_variables(model)
            claimed.update(id(v) for v in variables.values() if v in inside)
        for name, obj in changed.items():
            value = obj if isinstance(obj, Function) else compiled_inside(obj)
            if value is None:
                continue
            if id(value) in found:
                found[id(value)].aliases.append(name)
                continue
            target = _function_target(name, value, variables, self.framework)
            claimed.update(id(v) for v in target.named.values())
            found[id(value)] = target
        for call in ran() if cell.code else []:  # outside a cell they are an older cell's
            # compiled functions the cell called, wherever they were compiled
            known = found.get(id(call.fn)) or _called_target(call, self.framework)
            if known is not None:
                found[id(call.fn)] = known
                known.calls = call.count
        symbolic: dict[str, list[Variable]] = {}
        for name, value in changed.items():
            own = symbolic_outputs(value) if id(value) not in claimed else None
            if own is not None and any(o.owner is not None for o in own):
                symbolic[name] = own
        # A value inside another one's graph is drawn there, not on its own.
        feeding = [i for outs in symbolic.values() for o in outs if o.owner for i in o.owner.inputs]
        inner = set(ancestors(feeding)) if feeding else set()
        everything = {n: v for n, v in variables.items() if id(v) not in claimed}
        by_owner: dict[Any, PyTensorTarget] = {}
        for name, outs in symbolic.items():
            if all(o in inner for o in outs):
                continue
            value = changed[name]
            if id(value) in found:
                found[id(value)].aliases.append(name)
                continue
            owner = outs[0].owner if len(outs) == 1 else None
            if owner is not None and owner in by_owner:
                # Another output of the same node (a draw and its next RNG state).
                sibling = by_owner[owner]
                sibling.obj = [*(symbolic_outputs(sibling.obj) or []), outs[0]]
                sibling.aliases.append(name)
                continue
            target = PyTensorTarget(name, self.framework, value, named=everything)
            found[id(value)] = target
            if owner is not None:
                by_owner[owner] = target
        return list(found.values())

    def target_for_call(self, name: str, value: Any) -> Target | None:
        return None

    def declared(self, changed: dict[str, Any]) -> list[Declared]:
        used: set[Variable] = set()
        for target in self.targets(changed, CellInfo("")):
            found = plan(target)
            ends = [v for _, v in found.outputs] + found.explicit
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

    def trace(self, target: Target, options: Options, cell: CellInfo) -> Traced:
        if isinstance(target, PyTensorTarget) and target.planner is not None and not options.sync:
            return self._deferred(target, options, cell)
        return self._trace(target, options, cell)

    def _deferred(self, target: PyTensorTarget, options: Options, cell: CellInfo) -> Traced:
        """Every view after the cell: a target whose graph must first be made
        (a PyMC model's ``logp()``) costs the cell that much before drawing.

        The whole trace runs once, when the first view is asked for, and each
        view is then taken from it.
        """
        offers = Offers(list(VIEWS), rewrites=True, show_noise=options.show_noise)
        traced = Traced(GraphBundle(target.name, self.framework, {}), offers)
        made: list[Traced] = []

        def take(name: str) -> ViewResult:
            if not made:
                made.append(self._trace(target, options, cell))
                target.traced = traced
                traced.effects = made[0].effects  # known once the graph is made
            inner = made[0]
            inner.build(name)
            if name in inner.errors:
                raise TraceError(inner.errors[name])
            bundle = inner.bundle
            return ViewResult(
                bundle.views[name],
                [r for r in bundle.rewrites if r.view == name],
                bundle.rewrite_start.get(name),
                list(bundle.notes),
                dict(bundle.info),
            )

        for name in ("original", "optimized", "gradient"):
            traced.later[name] = LazyView("making the graph", functools.partial(take, name))
        traced.values = lambda name: values_of_made(made, name)
        target.traced = traced
        return traced

    def _trace(self, target: Target, options: Options, cell: CellInfo) -> Traced:
        found = plan(target)
        bundle = GraphBundle(target.name, self.framework, {}, notes=list(found.notes))
        calls = target.calls if isinstance(target, PyTensorTarget) else 0
        if calls > 1:
            bundle.info["calls"] = calls
            bundle.notes.append(f"called {calls} times in this cell: values use its last call")
        bundle.info["mode"] = type(found.mode.linker).__name__
        for old, new in found.givens:
            bundle.notes.append(f"givens: {describe(old)} is replaced by {describe(new)}")
        offers = Offers(list(VIEWS), rewrites=True, show_noise=options.show_noise)
        ends = [v for _, v in found.outputs] + [u for _, u in found.updates]
        compiled = target.obj.maker.fgraph.outputs if isinstance(target.obj, Function) else []
        target.effects = effects_of(target.name, ends or list(compiled))
        traced = Traced(bundle, offers, effects=target.effects)
        if isinstance(target, PyTensorTarget):
            target.traced = traced
        names = [n for n, _ in found.outputs]
        if not found.outputs and not found.updates:
            self._compiled_only(traced, target, found, cell)
        else:
            drawn: dict[str, Drawn] = {}

            def draw_original() -> ViewResult:
                original, ids = view(found.outputs, cell, found.updates, names=user_names(target))
                group_terms(original, ids, found.outputs)  # a PyMC model's: one per variable
                group_calls(original, ids, cell)  # the user's functions, from tag.trace
                split_passes(original, ids, grad_maker)  # a training step's three passes
                _tag_givens(original, ids, found.givens)
                drawn["original"] = drawn_symbolic(original, ids, found)
                return ViewResult(original)

            def as_written() -> tuple[Graph, dict[Any, str]] | None:
                traced.build("original")  # the groups the other views are placed in
                made = drawn.get("original")
                return (made.graph, made.ids) if made is not None else None

            traced.values = lambda name: node_values(name, drawn, found, target, names)
            size = _count_nodes(ends, max(DRAWN_IN_CELL, MAX_STEP_NODES))
            traced.later["original"] = LazyView("drawing", draw_original)
            if size <= DRAWN_IN_CELL:
                traced.build("original")
            recorded = compiled_record(target.obj)
            traced.later["optimized"] = LazyView(
                "drawing" if recorded is not None else "rewriting",
                lambda: _optimized(
                    target.name, found, names, cell, recorded, drawn, target, as_written
                ),
            )
            traced.later["gradient"] = LazyView(
                "differentiating",
                lambda: gradient(found, target, options, cell, drawn, as_written),
            )
            if size <= CHEAP_NODES:  # recorded or not, drawing its steps is not cheap
                traced.build("optimized")
            if size <= CHEAP_GRADIENT_NODES:
                traced.build("gradient")
            traced.offers.stepper = size <= MAX_STEP_NODES
        if options.sync:
            traced.build_all()
        if not traced.later:
            traced.offers.stepper = bool(bundle.rewrite_start)
        return traced

    def _compiled_only(self, traced: Traced, target: Target, found: Plan, cell: CellInfo) -> None:
        """A function compiled outside %%tgraph whose outputs match no variable."""
        compiled = found.compiled
        assert compiled is not None  # a plan without outputs comes from a function
        count = len(compiled.outputs) - len(compiled.update_mapping or {})
        names = [f"{target.name}[{i}]" for i in range(count)] if count != 1 else [target.name]
        traced.bundle.views["original"] = Graph(notes=list(found.notes))
        traced.bundle.views["gradient"] = Graph(notes=list(found.notes))
        traced.offers.rewrites = False
        traced.later["optimized"] = LazyView(
            "drawing", lambda: ViewResult(fgraph_view(compiled, names, cell)[0])
        )
        if len(compiled.apply_nodes) <= RECORDED_NODES:
            traced.build("optimized")

    def hint(self, error: BaseException) -> str | None:
        if isinstance(error, ValueError) and _DEFAULTS_REMOVED in str(error):
            return (
                "PyTensor removed default values on inputs (In(y, value=1)): compile "
                "f = function([x, y], z), then bind the default in Python with "
                "functools.partial(f, y=1) or def g(x, y=1): return f(x, y)"
            )
        return None

    def devices(self) -> Devices:
        from .devices import discover

        return discover()

    def time(self, target: Target, options: Options, devices: Devices, clock: Any) -> TimingResult:
        from .timing import time_pytensor

        return time_pytensor(target, options, devices, clock or time.perf_counter)

    def profile(self, target: Target, options: Options, devices: Devices) -> ProfileResult:
        from .timing import profile_pytensor

        traced = target.traced if isinstance(target, PyTensorTarget) else None
        if traced is None:
            traced = self.trace(target, options, CellInfo(""))
        traced.build("optimized")
        optimized = traced.bundle.views.get("optimized")
        if optimized is None:
            raise TimingError(f"{target.name} has no optimized view to profile")
        return profile_pytensor(target, options, devices, optimized)


def _count_nodes(ends: list[Variable], limit: int) -> int:
    """The nodes that draw ``ends``, inner graphs included, counted up to just past ``limit``.

    Stops early, so a 10,000-node graph costs the cell no more than a small one.
    """
    count = 0
    seen: set[Apply] = set()
    for var in ancestors(ends):
        node = var.owner
        if node is not None and node not in seen:
            seen.add(node)
            count += 1 + len(getattr(getattr(node.op, "fgraph", None), "apply_nodes", ()))
            if count > limit:
                break
    return count


def _fresh(recorded: Recorded) -> Recorded:
    """A copy whose rewrites can be credited again (a function traced twice)."""
    rewrites = [
        replace(rw, created=list(rw.created), removed=[], graph=None) for rw in recorded.rewrites
    ]
    return Recorded(
        recorded.fgraph, rewrites, recorded.created_by, recorded.history, recorded.origins
    )


def _optimized(
    name: str,
    found: Plan,
    names: list[str],
    cell: CellInfo,
    recorded: Recorded | None,
    drawn: dict[str, Drawn] | None = None,
    target: Target | None = None,
    as_written: AsWritten | None = None,
) -> ViewResult:
    notes: list[str] = []
    if recorded is not None:
        recorded = _fresh(recorded)
    else:
        if found.compiled is not None:
            notes.append(
                f"{name} was compiled before tracing, so PyTensor kept no record of its "
                "rewrites: these were recorded by compiling a copy of its graph as written "
                "with the recorder on"
            )
        outs = [v for _, v in found.outputs]
        try:
            recorded = rewrite(found.inputs, outs, found.mode, found.updates, found.givens)
        except Exception as exc:
            raise TraceError(f"PyTensor could not rewrite {name}: {said(exc)}") from exc
    graph, ids = fgraph_view(recorded.fgraph, names, cell, recorded)
    ends = [v for _, v in found.outputs] + [u for _, u in found.updates]
    placer = rewritten_placer(as_written() if as_written else None, recorded, ends)
    if placer is not None:
        placer(graph, ids)
    if drawn is not None:
        drawn["optimized"] = drawn_fgraph(graph, ids, recorded.fgraph, target, recorded)
    steps = credit(recorded, ids, "optimized", names, cell, graph, placer)
    compiled = found.compiled
    if (
        compiled is not None
        and recorded.fgraph is not compiled
        and not equal_computations(
            recorded.fgraph.outputs, compiled.outputs, recorded.fgraph.inputs, compiled.inputs
        )
    ):
        notes.append(
            "the recorded rewrites end in a different graph than the compiled one: "
            "showing the compiled graph"
        )
        graph, ids = fgraph_view(compiled, names, cell)
        if drawn is not None:
            drawn["optimized"] = drawn_fgraph(graph, ids, compiled, target, None)
    return ViewResult(graph, steps.rewrites, steps.start, notes + steps.notes)


def _tag_givens(graph: Graph, ids: dict[Any, str], givens: list[tuple[Variable, Variable]]) -> None:
    for old, new in givens:
        key = old if old in ids else old.owner
        if key in ids:
            node = graph.node(ids[key])
            node.tags.append("given")
            node.attrs["given"] = describe(new)


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
