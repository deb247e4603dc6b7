"""The program a JAX target ran, traced again on its recorded abstract arguments.

A target is traced through the same transformation the cell used
(``jax.vmap(f)`` over the batch, ``jax.grad(f)``...), with the static
arguments its jit declares, so what is drawn and timed is what ran. Plain
functions get Python scalars as constants only when tracing them as weak
scalars failed.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import jax

from ...protocol import Target, TraceError
from .capture import chain, is_jitted, spec
from .devices import MESH
from .gradient import first_lines
from .inputs import static_text
from .jaxpr import short
from .libraries import library_context

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
    #: How many times the user's code called it in the cell (0: not counted).
    calls: int = 0
    #: Whether ``Target.args`` are the values of the cell's last call, not shapes.
    recorded: bool = False
    #: Set by the first trace: the jitted program and its static arguments.
    run: Run | None = field(default=None, repr=False)

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
class Run:
    """A traced program: the jitted callable to lower and time, its statics, its trace."""

    jitted: Any
    traced: Any
    static: list[int]
    static_names: list[str]
    notes: list[str] = field(default_factory=list)

    @property
    def statics(self) -> set[Any]:
        return {*self.static, *self.static_names}


def program_of(target: Target) -> Program:
    obj = target.obj
    if isinstance(obj, Program):
        return obj
    fun, jitted = next(chain(obj), (obj, None))
    return Program(fun, "jit", {}, jitted if jitted is not None and jitted._fun is fun else None)


def trace_device(text: str) -> Any:
    if (text or "").strip().lower() in ("", MESH):  # JAX's default; sharded arguments keep theirs
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


def abstract(tree: Any, device: Any) -> Any:
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


def is_scalar(value: Any) -> bool:
    return isinstance(value, (bool, int, float, complex))


def _is_static(value: Any, level: int) -> bool:
    """Whether a plain function must get ``value`` as a constant when traced.

    Non-array leaves (strings, functions, objects) always. Hashable Python
    scalars only after tracing them as weak scalars failed: integers and
    booleans first (loop bounds, shapes), then floats too.
    """
    leaves = jax.tree_util.tree_leaves(value)
    if any(not isinstance(x, jax.ShapeDtypeStruct) and not is_scalar(x) for x in leaves):
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


def declared_statics(program: Program) -> set[Any]:
    """Static arguments the program's jit declares; they are never made abstract."""
    if program.jitted is not None:
        static, names = _jit_statics(program.jitted)
        return {*static, *names}
    info = program.params.get("info")
    if info is not None:
        return {*info.static_argnums, *info.static_argnames}
    return set()


def trace_program(
    name: str, program: Program, args: tuple[Any, ...], kwargs: dict[str, Any]
) -> Run:
    """Trace the program on abstract arguments without running or compiling it."""
    with library_context(program.fun):
        return _trace(name, program, args, kwargs)


def _trace(name: str, program: Program, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Run:
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
            return Run(jitted, jitted.trace(*args, **kwargs), static, names)
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
            traced = Run(jitted_now, jitted_now.trace(*args, **kwargs), static, names)
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


def describe_call(args: tuple[Any, ...], kwargs: dict[str, Any], statics: set[Any]) -> str:
    """The call as the user would write it: array types, static values as they are."""

    def one(key: Any, value: Any) -> str:
        if key in statics:
            return short(static_text(value), 80)

        def leaf(x: Any) -> Any:
            if isinstance(x, jax.ShapeDtypeStruct):
                aval = jax.core.ShapedArray(x.shape, x.dtype, weak_type=x.weak_type)
                return _Shown(aval.str_short(short_dtypes=True) + ("~" if x.weak_type else ""))
            if isinstance(x, jax.Array):
                return _Shown(jax.typeof(x).str_short(short_dtypes=True))
            return x

        plain = tuple | list | dict | jax.ShapeDtypeStruct | jax.Array
        if not isinstance(value, plain) and has_specs(value):
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


def fun_name(fun: Any) -> str:
    """``f``, or ``jax.vmap(f)`` for a transformation's wrapper around ``f``."""
    wrapped = getattr(fun, "__wrapped__", None)
    # JAX's wrappers sit inside its ``api_boundary`` decorator: look one closure deep.
    inner = [c.cell_contents for c in getattr(fun, "__closure__", None) or () if _filled(c)]
    for candidate in [fun, *inner]:
        code = getattr(candidate, "__code__", None)
        if code is not None and code.co_name in _WRAPPERS and wrapped is not None:
            return f"{_WRAPPERS[code.co_name]}({fun_name(wrapped)})"
    if is_jitted(fun):
        return f"jax.jit({fun_name(fun._fun)})"
    if isinstance(fun, functools.partial):
        return f"partial({fun_name(fun.func)})"
    return getattr(fun, "__name__", None) or type(fun).__name__


def gradient_inside(closed: Any) -> bool:
    """Whether the program already differentiates: JAX names the equations of
    a backward pass ``transpose(jvp(...))`` in their name stack, at any depth."""
    return any("transpose(" in str(e.source_info.name_stack) for e in all_equations(closed))


def all_equations(closed: Any) -> Iterator[Any]:
    jaxpr = closed.jaxpr if hasattr(closed, "jaxpr") else closed
    for eqn in jaxpr.eqns:
        yield eqn
        for inner in inner_jaxprs(eqn):
            yield from all_equations(inner)


def inner_jaxprs(eqn: Any) -> list[Any]:
    """The jaxprs an equation holds (pjit's, scan's body, cond's branches...)."""
    return [
        inner
        for value in eqn.params.values()
        for inner in (value if isinstance(value, tuple | list) else [value])
        if hasattr(inner, "eqns") or hasattr(getattr(inner, "jaxpr", None), "eqns")
    ]


def has_specs(tree: Any) -> bool:
    """Whether a run must make up some input: a shape stands in, or a call donated the array."""
    return any(
        isinstance(x, jax.ShapeDtypeStruct)
        or (isinstance(x, jax.Array) and not isinstance(x, jax.core.Tracer) and x.is_deleted())
        for x in jax.tree_util.tree_leaves(tree)
    )


def first_output(fun: Callable[..., Any]) -> Callable[..., Any]:
    """``fun`` without its auxiliary output (``has_aux=True``)."""

    def first(*args: Any, **kwargs: Any) -> Any:
        return fun(*args, **kwargs)[0]

    return first
