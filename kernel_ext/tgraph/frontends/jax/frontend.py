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

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import jax

from ...devices import Devices
from ...graph import GraphBundle
from ...profile import ProfileResult
from ...quiet import quiet
from ...timing import Clock, TimingError, TimingResult
from .. import (
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
    ViewValues,
)
from .._jaxconfig import jax_flags_kept
from . import sharding as sh
from . import timing as run
from .capture import LOG, Call, cached_call, chain, held_jits, is_jitted, observing, spec
from .gradient import Differentiable, cost_note, costs, first_lines, gradient
from .hlo import hlo_graph
from .jaxpr import JaxprConverter, closed_parts, linker, short
from .values import flat_inputs, jaxpr_values, linked_values

#: Functions up to this many drawn equations get their optimized view in the cell:
#: its executable is the one the cell's call compiled, so it costs a cache lookup.
#: The gradient is always built later: differentiating and checking it compiles
#: two programs, a quarter of a second even for ten equations.
SMALL = 200
#: Functions of more equations than this are drawn after the cell too:
#: converting and laying out costs about 0.3 ms an equation.
DRAWN_IN_CELL = 300

_TITLES = {
    "vmap": "jax.vmap",
    "grad": "jax.grad",
    "value_and_grad": "jax.value_and_grad",
    "jacrev": "jax.jacrev",
    "checkpoint": "jax.checkpoint",
}


@dataclass
class Program:
    """``Target.obj`` of a JAX target: the program to trace, time and profile.

    ``fun`` is the function the cell's transformation was applied to,
    ``api`` the transformation (``jit`` for none beyond jit), ``jitted``
    the user's own jitted object when the program is exactly it, so its
    caches (trace, compile) are reused.
    """

    fun: Any
    api: str = "jit"
    params: dict[str, Any] = field(default_factory=dict)
    jitted: Any = None
    #: Set by the first trace: the jitted program and its static arguments.
    run: _Run | None = field(default=None, repr=False)

    @property
    def title(self) -> str:
        return _TITLES.get(self.api, "")

    def callable(self) -> Callable[..., Any]:
        """The transformed function the cell ran (without the jit around it)."""
        p, fun = self.params, self.fun
        grad_params = {
            k: p[k] for k in ("argnums", "has_aux", "holomorphic", "allow_int") if k in p
        }
        if self.api == "vmap":
            return jax.vmap(fun, **p)
        if self.api == "grad":
            return jax.grad(fun, **grad_params)
        if self.api == "value_and_grad":
            return jax.value_and_grad(fun, **grad_params)
        if self.api == "jacrev":
            return jax.jacrev(fun, **grad_params)
        if self.api == "checkpoint":
            return jax.checkpoint(fun, **p)
        return fun

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.callable()(*args, **kwargs)


@dataclass
class _Run:
    """A traced program: the jitted callable to lower and time, its statics, its trace."""

    jitted: Any
    traced: Any
    static: list[int]
    static_names: list[str]
    notes: list[str] = field(default_factory=list)

    @property
    def statics(self) -> set[Any]:
        return {*self.static, *self.static_names}


def _program(target: Target) -> Program:
    obj = target.obj
    if isinstance(obj, Program):
        return obj
    fun, jitted = next(chain(obj), (obj, None))
    return Program(fun, "jit", {}, jitted if jitted is not None and jitted._fun is fun else None)


# -- tracing -------------------------------------------------------------------


def _device(text: str) -> Any:
    if (text or "").strip().lower() == run.MESH:  # sharded arguments keep their own devices
        return jax.devices()[0]
    platform, _, index = (text or "cpu").partition(":")
    try:
        devices = jax.devices(platform)
    except RuntimeError as error:
        raise TraceError(f"no {platform} device in this kernel: {error}") from None
    i = int(index or 0)
    if i >= len(devices):
        raise TraceError(f"device {text} does not exist: this kernel has {len(devices)}")
    return devices[i]


def _abstract(tree: Any, device: Any) -> Any:
    """Arrays -> ShapeDtypeStructs (placed on ``device`` if not the default)."""
    default = jax.devices()[0]

    def leaf(x: Any) -> Any:
        found = spec(x)
        if isinstance(found, jax.ShapeDtypeStruct) and found.sharding is not None:
            return found  # laid out over a mesh: the program depends on it
        if isinstance(found, jax.ShapeDtypeStruct) and device != default:
            return jax.ShapeDtypeStruct(
                found.shape,
                found.dtype,
                weak_type=found.weak_type,
                sharding=jax.sharding.SingleDeviceSharding(device),
            )
        return found

    return jax.tree_util.tree_map(leaf, tree)


def _is_scalar(value: Any) -> bool:
    return isinstance(value, (bool, int, float, complex))


def _is_static(value: Any, level: int) -> bool:
    """Whether a plain function must get ``value`` as a constant when traced.

    Non-array leaves (strings, functions, objects) always. Hashable Python
    scalars only after tracing them as weak scalars failed: integers and
    booleans first (loop bounds, shapes), then floats too.
    """
    leaves = jax.tree_util.tree_leaves(value)
    if any(not isinstance(x, jax.ShapeDtypeStruct) and not _is_scalar(x) for x in leaves):
        return True
    kinds = (bool, int) if level == 1 else (bool, int, float, complex)
    if level and leaves and all(isinstance(x, kinds) for x in leaves):
        try:
            hash(value)
        except TypeError:
            return False
        return True
    return False


def _jit_statics(jitted: Any) -> tuple[list[int], list[str]]:
    info = getattr(jitted, "_jit_info", None)
    return list(getattr(info, "static_argnums", ())), list(getattr(info, "static_argnames", ()))


def _declared_statics(program: Program) -> set[Any]:
    """Static arguments the program's jit declares; they are never made abstract."""
    if program.jitted is not None:
        static, names = _jit_statics(program.jitted)
        return {*static, *names}
    info = program.params.get("info")
    if info is not None:
        return {*info.static_argnums, *info.static_argnames}
    return set()


def _trace(name: str, program: Program, args: tuple[Any, ...], kwargs: dict[str, Any]) -> _Run:
    """Trace the program on abstract arguments without running or compiling it."""
    jitted = program.jitted
    if jitted is None and program.api == "jit" and "info" in program.params:
        info = program.params["info"]
        jitted = jax.jit(
            program.fun,
            static_argnums=info.static_argnums,
            static_argnames=info.static_argnames,
            donate_argnums=info.donate_argnums,
        )
    if jitted is not None:
        static, names = _jit_statics(jitted)
        try:
            return _Run(jitted, jitted.trace(*args, **kwargs), static, names)
        except Exception as error:
            raise TraceError(
                f"JAX could not trace {name}: {type(error).__name__}: {first_lines(error)}"
            ) from None
    fun = program.callable()
    first: Exception | None = None
    for level in (0, 1, 2):
        static = [i for i, a in enumerate(args) if _is_static(a, level)]
        names = [k for k, v in kwargs.items() if _is_static(v, level)]
        try:
            jitted_now = jax.jit(fun, static_argnums=static, static_argnames=names)
            traced = _Run(jitted_now, jitted_now.trace(*args, **kwargs), static, names)
        except Exception as error:
            first = first or error
            continue
        if level and (static or names):
            traced.notes.append(
                "Python scalar arguments "
                f"{', '.join(map(str, [*static, *names]))} were needed as constants to trace."
            )
        return traced
    assert first is not None
    raise TraceError(
        f"JAX could not trace {name}: {type(first).__name__}: {first_lines(first)}"
    ) from None


class _Shown:
    """A leaf shown as its type text inside a container's repr."""

    def __init__(self, text: str) -> None:
        self.text = text

    def __repr__(self) -> str:
        return self.text


def _describe(args: tuple[Any, ...], kwargs: dict[str, Any], statics: set[Any]) -> str:
    """The call as the user would write it: array types, static values as they are."""

    def one(key: Any, value: Any) -> str:
        if key in statics:
            return short(run.static_text(value), 80)

        def leaf(x: Any) -> Any:
            if isinstance(x, jax.ShapeDtypeStruct):
                aval = jax.core.ShapedArray(x.shape, x.dtype, weak_type=x.weak_type)
                return _Shown(aval.str_short(short_dtypes=True) + ("~" if x.weak_type else ""))
            if isinstance(x, jax.Array):
                return _Shown(jax.typeof(x).str_short(short_dtypes=True))
            return x

        plain = tuple | list | dict | jax.ShapeDtypeStruct | jax.Array
        if not isinstance(value, plain) and _has_specs(value):
            # a library's state object (NNX's graph state): its arrays, not its repr
            leaves = jax.tree_util.tree_leaves(value)
            count = sum(isinstance(x, jax.ShapeDtypeStruct) for x in leaves)
            return f"{type(value).__name__}({count} arrays)"
        return short(repr(jax.tree_util.tree_map(leaf, value)), 80)

    parts = [one(i, a) for i, a in enumerate(args)]
    parts += [f"{k}={one(k, v)}" for k, v in kwargs.items()]
    return ", ".join(parts)


_WRAPPERS = {
    "vmap_f": "jax.vmap",
    "grad_f": "jax.grad",
    "grad_f_aux": "jax.grad",
    "value_and_grad_f": "jax.value_and_grad",
    "jacfun": "jax.jacrev",
    "fun_remat": "jax.checkpoint",
}


def _filled(cell: Any) -> bool:
    try:
        return cell.cell_contents is not None
    except ValueError:  # an empty closure cell
        return False


def _fun_name(fun: Any) -> str:
    """``f``, or ``jax.vmap(f)`` for a transformation's wrapper around ``f``."""
    wrapped = getattr(fun, "__wrapped__", None)
    # JAX's wrappers sit inside its ``api_boundary`` decorator: look one closure deep.
    inner = [c.cell_contents for c in getattr(fun, "__closure__", None) or () if _filled(c)]
    for candidate in [fun, *inner]:
        code = getattr(candidate, "__code__", None)
        if code is not None and code.co_name in _WRAPPERS and wrapped is not None:
            return f"{_WRAPPERS[code.co_name]}({_fun_name(wrapped)})"
    if is_jitted(fun):
        return f"jax.jit({_fun_name(fun._fun)})"
    return getattr(fun, "__name__", None) or type(fun).__name__


def _gradient_inside(closed: Any) -> bool:
    """Whether the program already differentiates: JAX names the equations of
    a backward pass ``transpose(jvp(...))`` in their name stack, at any depth."""
    return any("transpose(" in str(e.source_info.name_stack) for e in _all_equations(closed))


def _all_equations(closed: Any) -> Iterator[Any]:
    jaxpr = closed.jaxpr if hasattr(closed, "jaxpr") else closed
    for eqn in jaxpr.eqns:
        yield eqn
        for inner in _inner_jaxprs(eqn):
            yield from _all_equations(inner)


def _inner_jaxprs(eqn: Any) -> list[Any]:
    """The jaxprs an equation holds (pjit's, scan's body, cond's branches...)."""
    return [
        inner
        for value in eqn.params.values()
        for inner in (value if isinstance(value, tuple | list) else [value])
        if hasattr(inner, "eqns") or hasattr(getattr(inner, "jaxpr", None), "eqns")
    ]


def _has_specs(tree: Any) -> bool:
    return any(isinstance(x, jax.ShapeDtypeStruct) for x in jax.tree_util.tree_leaves(tree))


def _node_ids(text: str) -> dict[str, str]:
    """HLO instruction name -> node id of the optimized view built from ``text``."""
    graph, _ = hlo_graph(text, "", "", lambda _where: [])
    ids = {s.attrs["hlo"]: s.id for s in graph.subgraphs if "hlo" in s.attrs}
    for node in graph.nodes:
        if node.name and node.parent is None:
            ids.setdefault(node.name, node.id)
    return ids


class JaxFrontend:
    """The JAX frontend of ``%%tgraph`` (see the module docstring)."""

    framework = "jax"
    title = "JAX"

    def observe(self) -> Any:
        """Record the programs every JAX call of the cell runs; the hooks leave after."""
        return observing()

    def targets(self, changed: dict[str, Any], cell: CellInfo) -> list[Target]:
        found: dict[tuple[int, str], Target] = {}
        calls: dict[str, Call | None] = {}
        for name, value in changed.items():
            chosen = None
            for fun, jitted in chain(value):
                call = LOG.best(fun)
                if call is None and jitted is not None and fun is jitted._fun:
                    call = cached_call(jitted)
                if call is not None or (jitted is not None and fun is jitted._fun):
                    chosen = (fun, jitted, call)
                    break
            for held in [] if chosen is not None else held_jits(value):
                call = LOG.best(held._fun)
                if call is not None:
                    chosen = (held._fun, held, call)
                    break
            if chosen is None:
                continue
            fun, jitted, call = chosen
            program = Program(fun) if call is None else Program(call.fun, call.api, call.params)
            if jitted is not None and jitted._fun is program.fun and program.api == "jit":
                program.jitted = jitted
            key = (id(program.fun), program.api)
            if key in found:
                known = found[key]
                if program.jitted is not None and known.obj.jitted is None:
                    # the variable holding the jitted program names it, and its caches serve
                    known.aliases.append(known.name)
                    calls[name] = calls.pop(known.name)
                    known.name, known.obj.jitted = name, program.jitted
                else:
                    known.aliases.append(name)
                continue
            calls[name] = call
            found[key] = Target(
                name=name,
                framework="jax",
                obj=program,
                args=call.args if call else None,
                kwargs=call.kwargs if call else None,
            )
        return self._inside_others(list(found.values()), calls)

    def _inside_others(self, targets: list[Target], calls: dict[str, Call | None]) -> list[Target]:
        """A function that only ran inside another target's program is drawn there."""
        kept = []
        for target in targets:
            call = calls.get(target.name)
            home = None
            if call is not None and call.nested and call.parent is not None:
                around = {id(f) for f, _ in chain(call.parent)} | {id(call.parent)}
                home = next(
                    (
                        t
                        for t in targets
                        if t is not target and any(id(f) in around for f, _ in chain(t.obj.fun))
                    ),
                    None,
                )
            if home is None:
                kept.append(target)
            else:
                home.aliases += [target.name, *target.aliases]
        return kept

    def target_for_call(self, name: str, value: Any) -> Target | None:
        """A plain or jitted function named with arguments on the magic line."""
        if not callable(value) or isinstance(value, type):
            return None
        fun, jitted = next(chain(value), (value, None))
        program = Program(fun, jitted=jitted if jitted is not None and jitted._fun is fun else None)
        return Target(name=name, framework="jax", obj=program)

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
        program = _program(target)
        device = _device(options.device)
        with jax_flags_kept(), quiet():
            args, kwargs = run.dynamic_map(
                lambda a: _abstract(a, device),
                tuple(target.args),
                dict(target.kwargs or {}),
                _declared_statics(program),
            )
            traced_run = _trace(target.name, program, args, kwargs)
            program.run = traced_run
            closed = traced_run.traced.jaxpr
            dbg = closed.jaxpr.debug_info
            arg_names = list(dbg.arg_names or ()) if dbg else []
            results = (
                list(dbg.result_paths or ()) if dbg and isinstance(dbg.result_paths, tuple) else []
            )
            layout = _layout(closed, args, kwargs, traced_run.statics)
        conv = JaxprConverter(cell)
        lead: list[str] = []  # the original view's notes: first, and after its own
        notes: list[str] = []
        described = _describe(args, kwargs, traced_run.statics)
        call_text = f"{target.name}({described})"
        name = _fun_name(program.fun)
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
            str(i) for i, a in enumerate(args) if _is_scalar(a) and i not in traced_run.static
        ]
        scalars += [
            k for k, v in kwargs.items() if _is_scalar(v) and k not in traced_run.static_names
        ]
        if scalars or "~" in call_text:
            notes.append(
                "Python scalars and ~-marked values are weakly typed: they take the dtype "
                "of the arrays they meet."
            )
        notes += traced_run.notes
        # an equation holding jaxprs is drawn as a box around them, not as a node
        equations = sum(1 for e in _all_equations(closed) if not _inner_jaxprs(e))
        bundle = GraphBundle(
            target=target.name,
            framework="jax",
            views={},
            info={"call": call_text, "device": str(device), "equations": equations},
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
        traced = Traced(bundle, offers)

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
            return self._optimized(target.name, traced_run, device, cell, conv, layout)

        traced.values = lambda view: self._values(view, target, traced_run, conv, traced)
        traced.later["original"] = LazyView("drawing", draw_original)
        traced.later["optimized"] = LazyView("compiling with XLA", optimized)
        # grad(f) run directly shows f's gradient: that is its gradient view
        inside = program.api == "jit" and _gradient_inside(closed)
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

    def _optimized(
        self,
        name: str,
        traced_run: _Run,
        device: Any,
        cell: CellInfo,
        conv: JaxprConverter,
        layout: _Layout | None = None,
    ) -> ViewResult:
        with jax_flags_kept(), quiet():
            misses = run._compile_cache_misses()
            try:
                lowered = traced_run.traced.lower()
                compiled = lowered.compile()
            except Exception as error:
                raise TraceError(
                    f"JAX could not compile {name}: {type(error).__name__}: {first_lines(error)}"
                ) from None
            reused = misses is not None and run._compile_cache_misses() == misses
            hlo_text = compiled.as_text() or ""
            optimized, module = hlo_graph(hlo_text, cell.filename, cell.code, linker(conv.index))
            fusions = [s for s in optimized.subgraphs if s.kind == "fusion"]
            parts = sh.partitions(hlo_text)
            if parts > 1 or layout is not None:
                where = f"{parts} devices" if layout is None else layout.mesh.note()
                optimized.notes.append(
                    f"XLA's SPMD program for one device of {parts} ({where}): shapes are "
                    f"per shard; {len(fusions)} fusions."
                )
            else:
                optimized.notes.append(f"XLA {device.platform} ({device}): {len(fusions)} fusions.")
            if reused:
                optimized.notes.append(
                    "the executable the cell's own call compiled (found in JAX's compile cache)"
                )
            cost, memory = costs(compiled)
            if cost or memory:
                optimized.notes.append(cost_note(cost, memory))
            info: dict[str, Any] = {
                "stablehlo": lowered.as_text(),
                "hlo": hlo_text,
                "hlo_module": module.name,
                "cost": cost,
                "memory": memory,
            }
            if parts > 1 or layout is not None:
                talk = sh.communication(module, hlo_text)
                optimized.notes.insert(1, talk.note())
                info["communication"] = talk.text()
                info["collectives"] = talk.to_json()
                if layout is not None:
                    outs = _output_shardings(compiled)
                    sh.annotate_boundaries(conv.graph, [], [*layout.outputs_or(outs)])
        return ViewResult(optimized, info=info)

    def _gradient(
        self,
        target: Target,
        program: Program,
        traced_run: _Run,
        args: tuple[Any, ...],
        kwargs: dict[str, Any],
        options: Options,
        cell: CellInfo,
    ) -> ViewResult:
        inner = program.api in ("grad", "value_and_grad", "jacrev")
        with jax_flags_kept(), quiet():
            fun = program.fun if inner else program.callable()
            if inner:
                shape_of = jax.jit(
                    fun, static_argnums=traced_run.static, static_argnames=traced_run.static_names
                ).trace(*args, **kwargs)
                out_avals = list(shape_of.jaxpr.out_avals)
                if program.params.get("has_aux"):
                    out_avals = out_avals[:1]
            else:
                out_avals = list(traced_run.traced.jaxpr.out_avals)
            at = (
                "made-up inputs of the shapes the cell's call had"
                if _has_specs((target.args, target.kwargs))
                else "the cell's inputs"
            )
            d = Differentiable(
                fun=fun if not (inner and program.params.get("has_aux")) else _first_output(fun),
                args=args,
                kwargs=kwargs,
                static=traced_run.static,
                static_names=traced_run.static_names,
                out_avals=out_avals,
                values=lambda: self._inputs(target, traced_run),
                at=at,
            )
            layout = _layout_of(target, traced_run)
            if layout is None:
                graph = gradient(d, options, cell)
            else:
                d.sharded = True
                d.values = lambda: self._placed_inputs(target, traced_run)
                with layout.mesh.context():
                    graph = gradient(d, options, cell)
            if inner:
                graph.notes.insert(
                    0,
                    f"the cell ran {program.title}({_fun_name(program.fun)}): this is that "
                    "gradient, its forward and backward passes told apart",
                )
            jax.effects_barrier()
        return ViewResult(graph)

    def _values(
        self, view: str, target: Target, traced_run: _Run, conv: JaxprConverter, traced: Traced
    ) -> ViewValues:
        """Every node's value on the cell's inputs, or made-up ones of the same shapes."""
        if view not in ("original", "optimized"):
            raise TraceError("values are shown for the original and the optimized (XLA) views")
        made_up = _has_specs((target.args, target.kwargs))
        with jax_flags_kept(), quiet():
            try:
                args, kwargs = self._inputs(target, traced_run)
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

    def _inputs(self, target: Target, traced_run: _Run) -> tuple[tuple[Any, ...], dict[str, Any]]:
        """Values to run the target on, made once: the given ones, or made up."""
        if target.inputs is None:
            target.inputs = run.dynamic_map(
                run.made_up, tuple(target.args or ()), dict(target.kwargs or {}), traced_run.statics
            )
        inputs: tuple[tuple[Any, ...], dict[str, Any]] = target.inputs
        return inputs

    def _placed_inputs(
        self, target: Target, traced_run: _Run
    ) -> tuple[tuple[Any, ...], dict[str, Any]]:
        """The inputs laid out as the cell's arrays were, for a sharded program."""
        inputs = self._inputs(target, traced_run)
        placement = self._placement(target, traced_run)
        if placement is None:
            return inputs
        return run.lay_out(inputs, traced_run.statics, None, placement)

    def _ready(self, target: Target) -> tuple[Program, _Run]:
        if target.args is None:
            raise TimingError(
                f"no arguments known for {target.name}: give example arguments, "
                f"e.g. %%tgraph {target.name}(x)"
            )
        program = _program(target)
        if program.run is None:
            with jax_flags_kept(), quiet():
                args, kwargs = run.dynamic_map(
                    lambda a: _abstract(a, jax.devices()[0]),
                    tuple(target.args),
                    dict(target.kwargs or {}),
                    _declared_statics(program),
                )
                try:
                    program.run = _trace(target.name, program, args, kwargs)
                except TraceError as error:
                    raise _UserError(str(error)) from None
        return program, program.run

    def _prepared(self, target: Target, device: Any) -> tuple[_Run, Any, Any]:
        """The traced program, the inputs to call it on, and its mesh placement on ``device``."""
        _, traced_run = self._ready(target)
        inputs = self._inputs(target, traced_run)
        return traced_run, inputs, self._mesh(target, traced_run, device)

    def devices(self) -> Devices:
        return run.jax_devices()

    def time(
        self, target: Target, options: Options, devices: Devices, clock: Clock
    ) -> TimingResult:
        device = devices.resolve(options.device)
        try:
            traced_run, inputs, mesh = self._prepared(target, device)
        except _UserError as error:  # the user's code failed to trace: a row that says so
            return TimingResult(
                target.name, "jax", device.name, "xla", budget_s=options.budget, error=str(error)
            )
        result = run.time_program(
            target.name,
            traced_run.jitted,
            inputs,
            traced_run.statics,
            options.budget,
            device,
            devices,
            clock,
            mesh,
        )
        if mesh is None and result.error and _layout_of(target, traced_run) is not None:
            result.notes.append("this program is laid out over a mesh: time it on the mesh")
        if _has_specs((target.args, target.kwargs)):
            result.notes.append("timed on made-up inputs of the shapes the cell's call had")
        else:
            result.notes.append("timed on the arguments given")
        return result

    def profile(self, target: Target, options: Options, devices: Devices) -> ProfileResult:
        device = devices.resolve(options.device)
        traced_run, inputs, mesh = self._prepared(target, device)
        return run.profile_program(
            target.name,
            traced_run.jitted,
            inputs,
            traced_run.statics,
            options.budget,
            device,
            _node_ids,
            mesh,
        )

    def _mesh(self, target: Target, traced_run: _Run, device: Any) -> run.Placement | None:
        """The layout to time a sharded program with, when the mesh was asked for."""
        if not isinstance(device, run.MeshDevice):
            return None
        placement = self._placement(target, traced_run)
        if placement is None:
            raise TimingError(
                f"{target.name} is not laid out over a mesh (its arguments and equations "
                "name no sharding over several devices): time it on one device"
            )
        return placement

    def _placement(self, target: Target, traced_run: _Run) -> run.Placement | None:
        layout = _layout_of(target, traced_run)
        if layout is None:
            return None

        def sharding(leaf: Any) -> Any:
            found = getattr(leaf, "sharding", None)
            return found if sh.is_spread(found) else None

        shardings = run.dynamic_map(
            lambda a: jax.tree_util.tree_map(sharding, a),
            tuple(target.args or ()),
            dict(target.kwargs or {}),
            traced_run.statics,
        )
        return run.Placement(shardings, layout.mesh.devices)


@dataclass
class _Layout:
    """How a sharded program is laid out: its mesh and each boundary's sharding."""

    mesh: sh.MeshInfo
    inputs: list[Any]
    outputs: list[Any]

    def outputs_or(self, compiled: list[Any]) -> list[Any]:
        """The traced output shardings, XLA's choice where the trace left it open."""
        return [
            mine if mine is not None else theirs
            for mine, theirs in zip(self.outputs, compiled, strict=False)
        ]


def _params_of(jaxpr: Any) -> list[dict[str, Any]]:
    """Every equation's params, nested jaxprs included (shard_map inside a jit...)."""
    found: list[dict[str, Any]] = []
    for eqn in closed_parts(jaxpr)[0].eqns:
        found.append(eqn.params)
        for value in eqn.params.values():
            inner = value if isinstance(value, (tuple, list)) else (value,)
            for item in inner:
                if hasattr(item, "eqns") or hasattr(item, "jaxpr"):
                    found += _params_of(item)
    return found


def _placed_sharding(sharding: Any) -> Any:
    """A sharding whose mesh names axes (explicit axes in the trace), else None."""
    mesh = getattr(sharding, "mesh", None)
    return sharding if mesh is not None and getattr(mesh, "shape", None) else None


def _layout(
    closed: Any, args: tuple[Any, ...], kwargs: dict[str, Any], statics: set[Any]
) -> _Layout | None:
    """The mesh and boundary shardings of a traced program; None when it uses one device."""
    dynamic = (
        [a for i, a in enumerate(args) if i not in statics],
        {k: v for k, v in kwargs.items() if k not in statics},
    )
    leaves = jax.tree_util.tree_leaves(dynamic)
    recorded = [getattr(x, "sharding", None) for x in leaves]
    avals_in = list(closed.in_avals)
    if len(recorded) != len(avals_in):
        recorded = [None] * len(avals_in)
    inputs = [
        r if r is not None else _placed_sharding(getattr(a, "sharding", None))
        for r, a in zip(recorded, avals_in, strict=True)
    ]
    outputs = [_placed_sharding(getattr(a, "sharding", None)) for a in closed.out_avals]
    mesh = sh.find_mesh([r for r in recorded if r is not None], _params_of(closed))
    if mesh is None:
        return None
    return _Layout(mesh, inputs, outputs)


def _layout_of(target: Target, traced_run: _Run) -> _Layout | None:
    return _layout(
        traced_run.traced.jaxpr,
        tuple(target.args or ()),
        dict(target.kwargs or {}),
        traced_run.statics,
    )


def _output_shardings(compiled: Any) -> list[Any]:
    try:
        return list(jax.tree_util.tree_leaves(compiled.output_shardings))
    except Exception:  # a backend without shardings
        return []


class _UserError(TimingError):
    """The user's function could not be traced for running."""


def _first_output(fun: Callable[..., Any]) -> Callable[..., Any]:
    """``fun`` without its auxiliary output (``has_aux=True``)."""

    def first(*args: Any, **kwargs: Any) -> Any:
        return fun(*args, **kwargs)[0]

    return first
