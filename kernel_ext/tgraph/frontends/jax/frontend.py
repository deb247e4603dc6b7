"""The JAX frontend: the program each call of the cell ran, as jaxpr, HLO and gradient.

Targets are the cell's functions that JAX traced while the cell ran
(``capture``). A target is traced again on the recorded abstract
arguments, through the same transformation the cell used (``jax.vmap(f)``
over the batch, ``jax.grad(f)``...), so what is drawn and timed is what
ran. In the cell the jaxpr is drawn, which jit's own trace cache makes
cheap, and for small functions XLA's compiled program (a compile-cache
hit); the gradient, which compiles and checks new programs, comes later.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import jax

from ...devices import Devices
from ...graph import GraphBundle
from ...profile import ProfileResult
from ...protocol import (
    CellInfo,
    Declared,
    LazyView,
    Offers,
    Options,
    Target,
    TextOffer,
    Traced,
    TraceError,
    ViewOffer,
    ViewResult,
)
from ...quiet import quiet
from ...timing import MAX_CALLS, Clock, TimingError, TimingResult
from ...values import ViewValues
from .._jaxconfig import jax_flags_kept
from . import sharding as sh
from .calls import eager_hint, watching
from .capture import observing
from .compiled import node_ids, optimized_view
from .devices import MESH, jax_devices
from .effects import effects_of
from .gradient import Differentiable, gradient
from .inputs import dynamic_map, inputs_of
from .jaxpr import JaxprConverter
from .libraries import library_context, user_output
from .mesh import find_layout, layout_of, mesh_placement, placed_inputs
from .programs import (
    Program,
    Run,
    abstract,
    all_equations,
    declared_statics,
    describe_call,
    first_output,
    fun_name,
    gradient_inside,
    has_specs,
    inner_jaxprs,
    is_scalar,
    program_of,
    trace_device,
    trace_program,
)
from .targets import find_targets, target_for_call
from .timing import profile_program, time_program
from .values import flat_inputs, jaxpr_values, linked_values

#: Functions up to this many drawn equations get their optimized view in the cell:
#: its executable is the one the cell's call compiled, so it costs a cache lookup.
#: The gradient is always built later: differentiating and checking it compiles
#: two programs, a quarter of a second even for ten equations.
SMALL = 200
#: Functions of more equations than this are drawn after the cell too:
#: converting and laying out costs about 0.3 ms an equation.
DRAWN_IN_CELL = 300


class JaxFrontend:
    """The JAX frontend of ``%%tgraph`` (see the module docstring)."""

    framework = "jax"
    title = "JAX"

    def observe(self) -> Any:
        """Record the programs every JAX call of the cell runs, and which ones the
        user's code called; the hooks leave after."""
        return _observing()

    def targets(self, changed: dict[str, Any], cell: CellInfo) -> list[Target]:
        return find_targets(changed, in_cell=bool(cell.code))

    def nothing_shown(self) -> str | None:
        """Why a cell that ran JAX showed nothing, and the magic line that would draw it."""
        return eager_hint()

    def target_for_call(self, name: str, value: Any) -> Target | None:
        """A plain or jitted function named with arguments on the magic line."""
        return target_for_call(name, value)

    def declared(self, changed: dict[str, Any]) -> list[Declared]:
        return []

    def hint(self, error: BaseException) -> str | None:
        return None

    # -- views -----------------------------------------------------------------

    def trace(self, target: Target, options: Options, cell: CellInfo) -> Traced:
        if target.args is None:
            raise TraceError(
                f"{target.name} was not called in this cell, so its argument shapes are "
                f"unknown: call it, or name example arguments: %%tgraph {target.name}(x, ...)"
            )
        program = program_of(target)
        device = trace_device(options.device)
        with jax_flags_kept(), quiet():
            args, kwargs = dynamic_map(
                lambda a: abstract(a, device),
                tuple(target.args),
                dict(target.kwargs or {}),
                declared_statics(program),
            )
            traced_run = trace_program(target.name, program, args, kwargs)
            program.run = traced_run
            closed = traced_run.traced.jaxpr
            dbg = closed.jaxpr.debug_info
            arg_names = list(dbg.arg_names or ()) if dbg else []
            results = (
                list(dbg.result_paths or ()) if dbg and isinstance(dbg.result_paths, tuple) else []
            )
            layout = find_layout(closed, args, kwargs, traced_run.statics)
        conv = JaxprConverter(cell)
        lead: list[str] = []  # the original view's notes: first, and after its own
        notes: list[str] = []
        described = describe_call(args, kwargs, traced_run.statics)
        call_text = f"{target.name}({described})"
        name = fun_name(program.fun)
        if program.title:
            notes.append(f"the program that ran: {program.title}({name}) on {described}")
        elif name != getattr(program.fun, "__name__", name):  # a transformation inside jit
            notes.append(f"the program that ran: jax.jit({name}) on {described}")
        elif program.api in ("vjp", "inner"):
            how = (
                "jax.vjp" if program.api == "vjp" else "a JAX transformation tgraph cannot rebuild"
            )
            notes.append(f"only the inner function {name} is shown: the cell ran it under {how}")
        notes.append(f"traced as {call_text}")
        scalars = [
            str(i) for i, a in enumerate(args) if is_scalar(a) and i not in traced_run.static
        ]
        scalars += [
            k for k, v in kwargs.items() if is_scalar(v) and k not in traced_run.static_names
        ]
        if scalars or "~" in call_text:
            notes.append(
                "Python scalars and ~-marked values are weakly typed: they take the dtype "
                "of the arrays they meet."
            )
        notes += traced_run.notes
        # an equation holding jaxprs is drawn as a box around them, not as a node
        equations = sum(1 for e in all_equations(closed) if not inner_jaxprs(e))
        bundle = GraphBundle(
            target=target.name,
            framework="jax",
            views={},
            info={"call": call_text, "device": str(device), "equations": equations},
        )
        if program.calls > 1:
            bundle.info["calls"] = program.calls
            bundle.notes.append(
                f"called {program.calls} times in this cell: drawn for its last call, {call_text}"
            )
        texts = [TextOffer("stablehlo", "StableHLO")]
        compiled_title = "Optimized (XLA)"
        if layout is not None:
            bundle.info["mesh"] = layout.mesh.to_json()
            texts.append(TextOffer("communication", "Communication"))
            compiled_title = "Per device (XLA SPMD)"
        offers = Offers(
            views=[
                ViewOffer("original", "Original"),
                ViewOffer("optimized", compiled_title),
                ViewOffer("gradient", "Gradient"),
            ],
            rewrites=False,
            stepper=False,
            texts=texts,
            timing=True,
            backend_label="XLA",
        )
        target.effects = effects_of(target.name, closed)
        traced = Traced(bundle, offers, effects=target.effects)

        def draw_original() -> ViewResult:
            with jax_flags_kept(), quiet():
                original = conv.convert(closed, arg_names, results)
            if layout is not None:
                sh.annotate_boundaries(original, layout.inputs, layout.outputs)
                original.notes.append(layout.mesh.note())
            original.notes[:0] = lead
            original.notes += notes
            return ViewResult(original)

        def optimized() -> ViewResult:
            traced.build("original")  # links HLO instructions to its equations
            return optimized_view(target.name, traced_run, device, cell, conv, layout)

        traced.values = lambda view: self._values(view, target, traced_run, conv, traced)
        traced.later["original"] = LazyView("drawing", draw_original)
        traced.later["optimized"] = LazyView("compiling with XLA", optimized)
        # grad(f) run directly shows f's gradient: that is its gradient view
        inside = program.api == "jit" and gradient_inside(closed)
        if inside and not options.wrt:
            # A training step: its gradient is part of it; a second one is asked for by name.
            offers.views = [v for v in offers.views if v.name != "gradient"]
            lead.append(
                f"{target.name} computes a gradient inside (its backward pass is drawn here), "
                "so tgraph does not differentiate it again: %%tgraph --wrt 0 asks for that",
            )
        else:
            traced.later["gradient"] = LazyView(
                "differentiating",
                lambda: self._gradient(target, program, traced_run, args, kwargs, options, cell),
            )
        if equations <= DRAWN_IN_CELL:
            traced.build("original")
        if equations <= SMALL:
            traced.build("optimized")
        return traced

    def _gradient(
        self,
        target: Target,
        program: Program,
        traced_run: Run,
        args: tuple[Any, ...],
        kwargs: dict[str, Any],
        options: Options,
        cell: CellInfo,
    ) -> ViewResult:
        inner = program.api in ("grad", "value_and_grad", "jacrev")
        own = user_output(program.fun) if program.api == "jit" else None
        with jax_flags_kept(), quiet(), library_context(program.fun):
            fun = program.fun if inner else program.callable()
            if own is not None:  # a library's step returns its state too: not the user's output
                fun = own
            if inner or own is not None:
                shape_of = jax.jit(
                    fun, static_argnums=traced_run.static, static_argnames=traced_run.static_names
                ).trace(*args, **kwargs)
                out_avals = list(shape_of.jaxpr.out_avals)
                if inner and program.params.get("has_aux"):
                    out_avals = out_avals[:1]
            else:
                out_avals = list(traced_run.traced.jaxpr.out_avals)
            at = (
                "made-up inputs of the shapes the cell's call had"
                if has_specs((target.args, target.kwargs))
                else "the cell's inputs"
            )
            d = Differentiable(
                fun=fun if not (inner and program.params.get("has_aux")) else first_output(fun),
                args=args,
                kwargs=kwargs,
                static=traced_run.static,
                static_names=traced_run.static_names,
                out_avals=out_avals,
                values=lambda: inputs_of(target, traced_run.statics),
                at=at,
                effects=target.effects,
            )
            layout = layout_of(target, traced_run)
            if layout is None:
                graph = gradient(d, options, cell)
            else:
                d.sharded = True
                d.values = lambda: placed_inputs(target, traced_run)
                with layout.mesh.context():
                    graph = gradient(d, options, cell)
            if inner:
                graph.notes.insert(
                    0,
                    f"the cell ran {program.title}({fun_name(program.fun)}): this is that "
                    "gradient, its forward and backward passes told apart",
                )
            jax.effects_barrier()
        return ViewResult(graph)

    def _values(
        self, view: str, target: Target, traced_run: Run, conv: JaxprConverter, traced: Traced
    ) -> ViewValues:
        """Every node's value on the cell's inputs, or made-up ones of the same shapes."""
        if view not in ("original", "optimized"):
            raise TraceError("values are shown for the original and the optimized (XLA) views")
        made_up = has_specs((target.args, target.kwargs))
        with jax_flags_kept(), quiet():
            try:
                args, kwargs = inputs_of(target, traced_run.statics)
            except TimingError as error:
                raise TraceError(str(error)) from None
            flat = flat_inputs(args, kwargs, traced_run.statics)
            graph = traced.bundle.views["original"]
            found = jaxpr_values(traced_run.traced.jaxpr, conv.atoms, graph, flat, "original")
        found.made_up = made_up
        found.inputs = (
            "made-up inputs of the shapes the cell's call had" if made_up else "the cell's inputs"
        )
        if view == "original" or found.error:
            return found
        traced.build("optimized")
        optimized = traced.bundle.views.get("optimized")
        if optimized is None or not optimized.nodes:
            raise TraceError("the optimized view could not be built, so it has no values")
        return linked_values(found, optimized, view)

    # -- running ---------------------------------------------------------------

    def _ready(self, target: Target) -> tuple[Program, Run]:
        if target.args is None:
            raise TimingError(
                f"no arguments known for {target.name}: give example arguments, "
                f"e.g. %%tgraph {target.name}(x)"
            )
        program = program_of(target)
        if program.run is None:
            with jax_flags_kept(), quiet():
                args, kwargs = dynamic_map(
                    lambda a: abstract(a, jax.devices()[0]),
                    tuple(target.args),
                    dict(target.kwargs or {}),
                    declared_statics(program),
                )
                try:
                    program.run = trace_program(target.name, program, args, kwargs)
                except TraceError as error:
                    raise _UserError(str(error)) from None
        return program, program.run

    def _prepared(self, target: Target, device: Any) -> tuple[Run, Any, Any]:
        """The traced program, the inputs to call it on, and its mesh placement on ``device``."""
        _, traced_run = self._ready(target)
        inputs = inputs_of(target, traced_run.statics)
        return traced_run, inputs, mesh_placement(target, traced_run, device)

    def devices(self) -> Devices:
        return jax_devices()

    def time(
        self, target: Target, options: Options, devices: Devices, clock: Clock
    ) -> TimingResult:
        device = devices.resolve(self._device_for(target, options))
        try:
            traced_run, inputs, mesh = self._prepared(target, device)
        except _UserError as error:  # the user's code failed to trace: a row that says so
            return TimingResult(
                target.name, "jax", device.name, "xla", budget_s=options.budget, error=str(error)
            )
        with library_context(program_of(target).fun):
            result = time_program(
                target.name,
                traced_run.jitted,
                inputs,
                traced_run.statics,
                options.budget,
                device,
                devices,
                clock,
                mesh,
                max_calls=options.max_calls or MAX_CALLS,
            )
        if mesh is None and result.error and layout_of(target, traced_run) is not None:
            result.notes.append("this program is laid out over a mesh: time it on the mesh")
        result.notes.append(f"timed on {_inputs_words(target)}")
        return result

    def _device_for(self, target: Target, options: Options) -> str:
        """The device asked for; by default, the mesh the cell's own sharded inputs lie on."""
        if options.device not in ("", "cpu") or target.args is None:
            return options.device
        try:
            _, traced_run = self._ready(target)
        except TimingError:
            return options.device
        return MESH if layout_of(target, traced_run) is not None else options.device

    def profile(self, target: Target, options: Options, devices: Devices) -> ProfileResult:
        device = devices.resolve(self._device_for(target, options))
        traced_run, inputs, mesh = self._prepared(target, device)
        return profile_program(
            target.name,
            traced_run.jitted,
            inputs,
            traced_run.statics,
            options.budget,
            device,
            node_ids,
            mesh,
        )


class _UserError(TimingError):
    """The user's function could not be traced for running."""


@contextmanager
def _observing() -> Iterator[None]:
    with observing(), watching():
        yield


def _inputs_words(target: Target) -> str:
    """Which inputs a run used, in words, for timing rows."""
    if has_specs((target.args, target.kwargs)):
        return "made-up inputs of the shapes the cell's call had"
    if program_of(target).recorded:
        return "the inputs of the cell's last call"
    return "the arguments given"
