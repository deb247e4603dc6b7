"""Learning which programs the cell ran, while it runs.

Arguments are learnt by briefly wrapping the places where JAX first sees a
user function's arguments: jit's parameter inference, grad's argnum split,
vjp's linearization, vmap's axis-size check and checkpoint's trace. The
wrappers record abstract shapes and the transformation's own parameters
(read from the calling frame), and always call through, so results and
compile counts are unchanged. A name that moved in another JAX version
degrades to "not recorded", never to a broken call.

A call made while another recorded transformation is running (a vmap under
jit, grad's own vjp) is *nested*: the outer call is the program that ran.
"""

from __future__ import annotations

import contextlib
import itertools
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from types import FrameType
from typing import Any

import jax
import numpy as np

from ...callsites import is_user_code, site, user_frame

# Transformation wrappers JAX defines (their code names), and which
# program each one runs.
_TRANSFORMS = {"value_and_grad_f", "vmap_f", "fun_remat", "jacfun"}


@dataclass
class Call:
    """One recorded call: the function JAX saw, how it was transformed, its arguments.

    ``api`` names the program that ran: ``jit``, ``grad``,
    ``value_and_grad``, ``jacrev``, ``vmap``, ``checkpoint``, or ``vjp`` and
    ``inner`` where only the function itself can be shown. ``params`` are
    the transformation's own (argnums, in_axes...). Arrays are kept as
    ShapeDtypeStructs, so no user buffer is held.
    """

    api: str
    fun: Any
    args: tuple[Any, ...]
    kwargs: dict[str, Any]
    params: dict[str, Any] = field(default_factory=dict)
    nested: bool = False
    parent: Any = None
    seq: int = 0
    #: The user's call that ran the library code making this call (``mcmc.run``).
    via: str | None = None
    #: The call's own arguments (a top-level jit call's): the inputs timing runs on.
    values: tuple[tuple[Any, ...], dict[str, Any]] | None = field(default=None, repr=False)


def spec(leaf: Any) -> Any:
    """An array or tracer becomes its ShapeDtypeStruct; anything else stays.

    Python scalars stay values so a later trace sees them exactly as the
    user's call did (weakly typed, or static). A sharding over several
    devices is kept: it decides the program XLA partitions.
    """
    if isinstance(leaf, (jax.Array, np.ndarray, np.generic, jax.core.Tracer)):
        aval = jax.typeof(leaf)
        kept = _spread(leaf)
        return jax.ShapeDtypeStruct(aval.shape, aval.dtype, weak_type=aval.weak_type, sharding=kept)
    return leaf


def _spread(leaf: Any) -> Any:
    """An array's sharding when it spans several devices: the program depends on it."""
    if not isinstance(leaf, jax.Array) or isinstance(leaf, jax.core.Tracer):
        return None
    try:
        sharding = leaf.sharding
        return sharding if len(sharding.device_set) > 1 else None
    except Exception:  # a deleted or donated array
        return None


def specs(tree: Any) -> Any:
    return jax.tree_util.tree_map(spec, tree)


def _has_tracer(tree: Any) -> bool:
    return any(isinstance(x, jax.core.Tracer) for x in jax.tree_util.tree_leaves(tree))


class _CallLog:
    """The recorded calls of the cell, while ``observing()`` is active.

    One entry per (function, program): a function called again replaces its
    entry. Entries hold the function, so a transformation's throw-away
    wrapper stays known until the next cell starts.
    """

    def __init__(self) -> None:
        self.calls: dict[tuple[int, str], Call] = {}
        self.depth = 0
        self.restore: list[tuple[Any, str, Any]] = []
        self.counter = itertools.count()

    def record(self, call: Call) -> None:
        key = (id(call.fun), call.api)
        old = self.calls.get(key)
        if old is not None and call.nested and not old.nested:
            return  # the same function ran on its own too: keep that program
        call.seq = next(self.counter)
        if not call.nested:
            call.via = old.via if old is not None else _via(sys._getframe(2))
        self.calls[key] = call

    def best(self, fun: Any) -> Call | None:
        """The program that ran for ``fun``: its own call, or a wrapper's around it.

        A call made at the top of the cell wins over a nested one; among
        equals, the newest.
        """
        found = [c for c in self.calls.values() if c.fun is fun or _wraps(c.fun, fun)]
        if not found:
            return None
        # its own program before one that wraps it (jit(f) beside jit(grad(f)))
        return max(found, key=lambda c: (not c.nested, c.fun is fun, c.seq))


LOG = _CallLog()


def _via(frame: FrameType | None) -> str | None:
    """The user's call above ``frame`` (``mcmc.run``), when library code made the call."""
    if frame is not None and is_user_code(frame.f_code):
        return None  # the user's own code called JAX directly
    found = user_frame(frame)
    where = site(found.f_code, found.f_lasti) if found is not None else None
    return where.callee if where is not None else None


def _wraps(outer: Any, inner: Any) -> bool:
    """Whether ``inner`` lies down ``outer``'s ``__wrapped__``/jit chain."""
    return any(f is inner for f, _ in chain(outer))


def _enclosing(frame: FrameType | None) -> Any:
    """The function of the nearest recorded transformation still running above ``frame``."""
    depth = 0
    while frame is not None and depth < 200:
        code = frame.f_code
        if code is _HOOKED_CODE and frame.f_locals.get("_api") == "jit":
            args = frame.f_locals.get("args") or ()
            return args[0] if args else None
        if code.co_name in _TRANSFORMS and "jax" in code.co_filename:
            return frame.f_locals.get("fun")
        frame = frame.f_back
        depth += 1
    return None


def _nesting(frame: FrameType, values: Any) -> tuple[bool, Any]:
    parent = _enclosing(frame.f_back)
    return parent is not None or _has_tracer(values), parent


def _jax_own(fun: Any) -> bool:
    """JAX's own jitted helpers (every ``jnp`` op): never a target, and called often."""
    module = getattr(fun, "__module__", None) or ""
    return module == "jax" or module.startswith(("jax.", "jaxlib."))


def _safely(record: Callable[..., None]) -> Callable[..., None]:
    """A recorder that can never break the user's call."""

    def guarded(*args: Any, **kwargs: Any) -> None:
        with contextlib.suppress(Exception):
            record(*args, **kwargs)

    return guarded


@_safely
def _record_jit(
    frame: FrameType, fun: Any, info: Any, args: Any, kwargs: Any, *_: Any, **__: Any
) -> None:
    if _jax_own(fun):
        return
    static = set(info.static_argnums)
    names = set(info.static_argnames)
    nested, parent = _nesting(frame, (args, kwargs))
    call = Call(
        "jit",
        fun,
        tuple(a if i in static else specs(a) for i, a in enumerate(args)),
        {k: v if k in names else specs(v) for k, v in kwargs.items()},
        {"info": info},
        nested,
        parent,
    )
    if not nested:  # concrete: the very arrays the cell passed, kept until the next cell
        call.values = (tuple(args), dict(kwargs))
    LOG.record(call)


@_safely
def _record_grad(
    frame: FrameType, fun: Any, argnums: Any, args: Any, kwargs: Any, *_: Any, **__: Any
) -> None:
    local = frame.f_locals
    name = frame.f_code.co_name
    api = "inner"
    params: dict[str, Any] = {}
    if name in ("value_and_grad_f", "jacfun"):
        params = {k: local[k] for k in ("argnums", "has_aux", "holomorphic", "allow_int")}
        api = "jacrev" if name == "jacfun" else "value_and_grad"
        caller = frame.f_back
        for _step in range(4):  # grad_f -> api_boundary -> value_and_grad_f
            if caller is None:
                break
            if caller.f_code.co_name in ("grad_f", "grad_f_aux"):
                api = "grad"
                break
            caller = caller.f_back
    nested, parent = _nesting(frame, (args, kwargs))
    LOG.record(Call(api, fun, specs(tuple(args)), specs(dict(kwargs)), params, nested, parent))


@_safely
def _record_vjp(frame: FrameType, fun: Any, primals: Any, *_: Any, **__: Any) -> None:
    args = primals.unflatten() if hasattr(primals, "unflatten") else primals
    nested, parent = _nesting(frame, args)
    LOG.record(Call("vjp", fun, specs(tuple(args)), {}, {}, nested, parent))


@_safely
def _record_vmap(
    frame: FrameType, fun: Any, tree: Any, vals: Any, dims: Any, *_: Any, **__: Any
) -> None:
    local = frame.f_locals
    nested, parent = _nesting(frame, vals)
    if frame.f_code.co_name == "vmap_f" and "args" in local and "in_axes" in local:
        keys = ("in_axes", "out_axes", "axis_name", "axis_size", "spmd_axis_name")
        params = {k: local.get(k) for k in keys}
        args, kwargs = specs(tuple(local["args"])), specs(dict(local["kwargs"]))
        LOG.record(Call("vmap", fun, args, kwargs, params, nested, parent))
        return
    leaves = [_unbatched(v, d) for v, d in zip(vals, dims, strict=True)]
    args, kwargs = jax.tree_util.tree_unflatten(tree, leaves)
    LOG.record(Call("inner", fun, tuple(args), dict(kwargs), {}, nested, parent))


@_safely
def _record_checkpoint(frame: FrameType, *_: Any, **__: Any) -> None:
    local = frame.f_locals
    if frame.f_code.co_name != "fun_remat" or local.get("static_argnums"):
        return  # static arguments are folded into the traced function: not rebuildable
    params = {"prevent_cse": local.get("prevent_cse", True), "policy": local.get("policy")}
    args, kwargs = tuple(local["args"]), dict(local["kwargs"])
    nested, parent = _nesting(frame, (args, kwargs))
    LOG.record(Call("checkpoint", local["fun"], specs(args), specs(kwargs), params, nested, parent))


def _unbatched(leaf: Any, axis: int | None) -> Any:
    """What a function under vmap sees of ``leaf`` mapped over ``axis``."""
    found = spec(leaf)
    if axis is None or not isinstance(found, jax.ShapeDtypeStruct):
        return found
    shape = found.shape[:axis] + found.shape[axis + 1 :]
    return jax.ShapeDtypeStruct(shape, found.dtype, weak_type=found.weak_type)


def hook_points() -> list[tuple[Any, str, str, Callable[..., None]]]:
    """(module, attribute, api, recorder) for each place JAX first sees arguments."""
    from jax._src import ad_checkpoint, api, pjit
    from jax._src.interpreters import ad

    return [
        (pjit, "_infer_params", "jit", _record_jit),
        (api, "argnums_partial2", "grad", _record_grad),
        (ad, "linearize", "vjp", _record_vjp),
        (api, "_mapped_axis_size", "vmap", _record_vmap),
        (ad_checkpoint, "_trace_to_jaxpr", "checkpoint", _record_checkpoint),
    ]


def _hooked(*args: Any, _original: Any, _record: Any, _api: str, **kw: Any) -> Any:
    """The hook's body; its frame marks a jit trace in progress (see ``_enclosing``)."""
    _record(sys._getframe(2), *args, **kw)  # JAX's caller, above the ``hooked`` closure
    return _original(*args, **kw)


_HOOKED_CODE = _hooked.__code__


def _install_hooks() -> None:
    for module, attr, api, recorder in hook_points():
        original = getattr(module, attr, None)
        if original is None:
            continue

        def hooked(
            *args: Any, _o: Any = original, _r: Any = recorder, _a: str = api, **kw: Any
        ) -> Any:
            return _hooked(*args, _original=_o, _record=_r, _api=_a, **kw)

        LOG.restore.append((module, attr, original))
        setattr(module, attr, hooked)


def _remove_hooks() -> None:
    while LOG.restore:
        module, attr, original = LOG.restore.pop()
        setattr(module, attr, original)


@contextmanager
def observing() -> Iterator[None]:
    """Record calls while the block runs; the hooks are gone after it. Nests."""
    if LOG.depth == 0:
        LOG.calls.clear()
        _install_hooks()
    LOG.depth += 1
    try:
        yield
    finally:
        LOG.depth -= 1
        if LOG.depth == 0:
            _remove_hooks()


def is_jitted(value: Any) -> bool:
    return callable(value) and hasattr(value, "_fun") and hasattr(value, "lower")


def held_jits(value: Any) -> list[Any]:
    """The jitted functions a library's wrapper object keeps among its attributes.

    ``eqx.filter_jit`` and similar wrappers are objects that split their
    arguments and call a ``jax.jit`` they hold (Equinox's ``_cached``): the
    program that ran is that jit's, named after the user's variable.
    """
    if is_jitted(value) or isinstance(value, type) or not callable(value):
        return []
    try:
        attrs = list(vars(value).values())
    except TypeError:  # no __dict__
        return []
    return [a for a in attrs if is_jitted(a)]


def chain(value: Any) -> Iterator[tuple[Any, Any]]:
    """(function, jitted wrapper or None) down jit ``_fun`` and ``__wrapped__`` links."""
    seen: set[int] = set()
    jitted = None
    while callable(value) and id(value) not in seen and not isinstance(value, type):
        seen.add(id(value))
        if is_jitted(value):
            jitted = value
            value = value._fun
            continue
        yield value, jitted
        value = getattr(value, "__wrapped__", None)


def cached_call(jitted: Any) -> Call | None:
    """The newest signature in jit's trace cache, for cells that import JAX.

    Used only when ``observing()`` could not run (JAX was not yet imported
    when the cell started): the order of the cache is the order of traces,
    not of calls.
    """
    try:
        from jax._src import pjit

        keys = [k for k in pjit._infer_params_cached.cache_keys() if k[0]() is jitted._fun]
        if not keys:
            return None
        info, sig, avals = keys[-1][2][:3]
        found = iter(jax.ShapeDtypeStruct(a.shape, a.dtype, weak_type=a.weak_type) for a in avals)
        values = [
            t.unflatten([next(found) for _ in range(t.num_leaves)])
            for t in sig.dynamic_arg_treedefs
        ]
        statics = list(sig.static_args)
        n_dyn_pos = len(values) - len(sig.dynamic_arg_names)
        n_static_pos = len(statics) - len(sig.static_arg_names)
        static_pos = set(info.static_argnums)
        args: list[Any] = []
        dyn, stat = iter(values[:n_dyn_pos]), iter(statics[:n_static_pos])
        for pos in range(n_dyn_pos + n_static_pos):
            args.append(next(stat) if pos in static_pos else next(dyn))
        kwargs = dict(zip(sig.dynamic_arg_names, values[n_dyn_pos:], strict=True))
        kwargs.update(zip(sig.static_arg_names, statics[n_static_pos:], strict=True))
        return Call("jit", jitted._fun, tuple(args), kwargs, {"info": info})
    except Exception:
        return None
