"""JAX frontend: jitted and transformed functions -> jaxpr, HLO and gradient views.

Targets are the cell's functions that JAX traced while the cell ran. Their
arguments are learnt while the cell runs, by briefly wrapping the four
places where JAX first sees a user function's arguments (jit's parameter
inference, grad's argnum split, vjp's linearization and vmap's axis-size
check). The wrappers only record abstract shapes and always call through,
so results and compile counts are unchanged. Everything JAX-internal is
reached through ``_Hooks``, which degrades to "not recorded" when a name
moves in another JAX version.
"""

from __future__ import annotations

import contextlib
import functools
import inspect
import weakref
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import jax
import jax.extend.core as jcore
import jax.numpy as jnp
import numpy as np
from jax._src import source_info_util

from ..graph import Edge, Graph, GraphBundle, Node, Source, Subgraph
from . import CellInfo, Declared, Options, Target, TraceError
from .jax_hlo import HloSource, hlo_graph, inner_holder

# -- learning the arguments of the cell's traced functions ------------------


@dataclass
class Call:
    """The abstract arguments of one traced call: arrays as ShapeDtypeStructs."""

    api: str
    args: tuple[Any, ...]
    kwargs: dict[str, Any]


def _spec(leaf: Any) -> Any:
    """An array or tracer becomes its ShapeDtypeStruct; anything else stays.

    Python scalars stay values so a later trace sees them exactly as the
    user's call did (weakly typed, or static).
    """
    if isinstance(leaf, (jax.Array, np.ndarray, np.generic, jax.core.Tracer)):
        aval = jax.typeof(leaf)
        return jax.ShapeDtypeStruct(aval.shape, aval.dtype, weak_type=aval.weak_type)
    return leaf


def _specs(tree: Any) -> Any:
    return jax.tree_util.tree_map(_spec, tree)


def _unbatched(leaf: Any, axis: int | None) -> Any:
    """What a function under vmap sees of ``leaf`` mapped over ``axis``."""
    spec = _spec(leaf)
    if axis is None or not isinstance(spec, jax.ShapeDtypeStruct):
        return spec
    shape = spec.shape[:axis] + spec.shape[axis + 1 :]
    return jax.ShapeDtypeStruct(shape, spec.dtype, weak_type=spec.weak_type)


class _CallLog:
    """The last recorded call of each function, while ``observe()`` is active.

    Keyed by the function's identity (with a weak reference to check it is
    still the same object), so a function redefined by the cell never
    inherits another one's arguments.
    """

    def __init__(self) -> None:
        self.calls: dict[int, tuple[weakref.ref[Any], Call]] = {}
        self.depth = 0
        self.restore: list[tuple[Any, str, Any]] = []

    def record(self, fun: Any, call: Call) -> None:
        try:
            ref = weakref.ref(fun)
        except TypeError:
            return
        self.calls[id(fun)] = (ref, call)

    def last(self, fun: Any) -> Call | None:
        entry = self.calls.get(id(fun))
        if entry is None or entry[0]() is not fun:
            return None
        return entry[1]


_LOG = _CallLog()


def _safely(record: Callable[..., None]) -> Callable[..., None]:
    """A recorder that can never break the user's call."""

    @functools.wraps(record)
    def guarded(*args: Any, **kwargs: Any) -> None:
        with contextlib.suppress(Exception):
            record(*args, **kwargs)

    return guarded


@_safely
def _record_jit(fun: Any, jit_info: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
    static = set(jit_info.static_argnums)
    names = set(jit_info.static_argnames)
    args = tuple(a if i in static else _specs(a) for i, a in enumerate(args))
    kwargs = {k: v if k in names else _specs(v) for k, v in kwargs.items()}
    _LOG.record(fun, Call("jit", args, kwargs))


@_safely
def _record_grad(fun: Any, argnums: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
    _LOG.record(fun, Call("grad", _specs(tuple(args)), _specs(kwargs)))


@_safely
def _record_vjp(fun: Any, primals: Any) -> None:
    _LOG.record(fun, Call("vjp", _specs(tuple(primals.unflatten())), {}))


@_safely
def _record_vmap(fun: Any, tree: Any, vals: list[Any], dims: list[int | None]) -> None:
    leaves = [_unbatched(v, d) for v, d in zip(vals, dims, strict=True)]
    args, kwargs = jax.tree_util.tree_unflatten(tree, leaves)
    _LOG.record(fun, Call("vmap", tuple(args), dict(kwargs)))


def _hook_points() -> list[tuple[Any, str, Callable[..., Any]]]:
    """(module, attribute, recorder) for each place JAX first sees arguments."""
    from jax._src import api, pjit
    from jax._src.interpreters import ad

    return [
        (pjit, "_infer_params", lambda f, ji, a, k, *_r, **_k: _record_jit(f, ji, a, k)),
        (api, "argnums_partial2", lambda f, n, a, k, *_r, **_k: _record_grad(f, n, a, k)),
        (ad, "linearize", lambda f, p, *_r, **_k: _record_vjp(f, p)),
        (api, "_mapped_axis_size", lambda f, t, v, d, *_r, **_k: _record_vmap(f, t, v, d)),
    ]


def _install_hooks() -> None:
    for module, attr, recorder in _hook_points():
        original = getattr(module, attr, None)
        if original is None:
            continue

        def hooked(*args: Any, _original: Any = original, _rec: Any = recorder, **kw: Any) -> Any:
            _rec(*args, **kw)
            return _original(*args, **kw)

        _LOG.restore.append((module, attr, original))
        setattr(module, attr, hooked)


def _remove_hooks() -> None:
    while _LOG.restore:
        module, attr, original = _LOG.restore.pop()
        setattr(module, attr, original)


@contextmanager
def _observing() -> Iterator[None]:
    if _LOG.depth == 0:
        _LOG.calls.clear()
        _install_hooks()
    _LOG.depth += 1
    try:
        yield
    finally:
        _LOG.depth -= 1
        if _LOG.depth == 0:
            _remove_hooks()


def _jit_info(fun: Any) -> Any:
    return getattr(fun, "_jit_info", None)


def _is_jitted(value: Any) -> bool:
    return callable(value) and hasattr(value, "_fun") and hasattr(value, "lower")


def _cached_call(jitted: Any) -> Call | None:
    """The newest signature in jit's trace cache, for cells that import JAX.

    Used only when ``observe()`` could not run (JAX was not yet imported
    when the cell started): the order of the cache is the order of traces,
    not of calls.
    """
    try:
        from jax._src import pjit

        keys = [k for k in pjit._infer_params_cached.cache_keys() if k[0]() is jitted._fun]
        if not keys:
            return None
        info, sig, avals = keys[-1][2][:3]
        specs = iter(jax.ShapeDtypeStruct(a.shape, a.dtype, weak_type=a.weak_type) for a in avals)
        values = [
            t.unflatten([next(specs) for _ in range(t.num_leaves)])
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
        return Call("jit cache", tuple(args), kwargs)
    except Exception:
        return None


def _chain(value: Any) -> Iterator[tuple[Any, Any]]:
    """(function, jitted wrapper or None) down jit ``_fun`` and ``__wrapped__`` links."""
    seen: set[int] = set()
    jitted = None
    while callable(value) and id(value) not in seen and not isinstance(value, type):
        seen.add(id(value))
        if _is_jitted(value):
            jitted = value
            value = value._fun
            continue
        yield value, jitted
        value = getattr(value, "__wrapped__", None)


# -- jaxpr -> graph ----------------------------------------------------------


def _short(value: Any, limit: int = 60) -> str:
    text = str(value).replace("\n", " ")
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _type(aval: Any) -> str:
    return aval.str_short(short_dtypes=True) if hasattr(aval, "str_short") else str(aval)


def _inner_jaxprs(eqn: Any) -> list[tuple[str, Any]]:
    """The jaxpr-valued params of an equation (nested jit, scan, cond...)."""
    found: list[tuple[str, Any]] = []
    for key, value in eqn.params.items():
        if isinstance(value, (jcore.Jaxpr, jcore.ClosedJaxpr)):
            found.append((key, value))
        elif _inner_jaxprs_value(value):  # cond's branches
            found += [(f"{key.rstrip('es')} {i}", v) for i, v in enumerate(value)]
    return found


def _closed(jaxpr: Any) -> tuple[Any, list[Any]]:
    if isinstance(jaxpr, jcore.ClosedJaxpr):
        return jaxpr.jaxpr, list(jaxpr.consts)
    return jaxpr, []


Tagger = Callable[[Any], list[str]]


class _JaxprConverter:
    """One view built from a closed jaxpr; remembers where each equation came from.

    ``index`` maps (primitive, line, column) in the cell to node ids, which
    is how the HLO view links its instructions back to this view.
    """

    def __init__(self, cell: CellInfo, tagger: Tagger | None = None) -> None:
        self.cell = cell
        self.lines = cell.code.splitlines()
        self.tagger = tagger
        self.graph = Graph()
        self.counters: dict[str, int] = {}
        self.index: dict[tuple[str, int, int], list[str]] = {}

    def new_id(self, prefix: str) -> str:
        count = self.counters.get(prefix, 0)
        self.counters[prefix] = count + 1
        return f"{prefix}n{count}"

    def convert(self, closed: Any, arg_names: list[str], result_names: list[str]) -> Graph:
        jaxpr, consts = _closed(closed)
        env: dict[Any, list[str]] = {}
        self.constants(jaxpr.constvars, consts, env, "", None)
        for i, var in enumerate(jaxpr.invars):
            name = arg_names[i] if i < len(arg_names) else f"arg{i}"
            env[var] = [self.boundary("input", name, var.aval, "", None, name=name)]
        self.equations(jaxpr.eqns, env, "", None, [])
        for i, atom in enumerate(jaxpr.outvars):
            label = result_names[i] if i < len(result_names) else f"out{i}"
            node = self.boundary("output", label, atom.aval, "", None)
            self.connect(self.sources(atom, env, "", None), node, 0, atom)
        return self.graph

    def constants(
        self,
        constvars: list[Any],
        consts: list[Any],
        env: dict[Any, list[str]],
        prefix: str,
        parent: str | None,
    ) -> None:
        for var, value in zip(constvars, consts, strict=True):
            label = _short(value, 24) if np.size(value) <= 4 else f"const {_type(var.aval)}"
            env[var] = [self.boundary("constant", label, var.aval, prefix, parent)]

    def boundary(
        self, kind: Any, label: str, aval: Any, prefix: str, parent: str | None, name: str = ""
    ) -> str:
        node = Node(
            id=self.new_id(prefix),
            kind=kind,
            label=label,
            name=name,
            dtype=str(getattr(aval, "dtype", "")),
            shape=str(tuple(getattr(aval, "shape", ()))),
            parent=parent,
        )
        self.graph.nodes.append(node)
        return node.id

    def sources(
        self, atom: Any, env: dict[Any, list[str]], prefix: str, parent: str | None
    ) -> list[str]:
        if isinstance(atom, jcore.Literal):
            return [self.boundary("constant", _short(atom.val, 24), atom.aval, prefix, parent)]
        return env.get(atom, [])

    def connect(self, sources: list[str], dst: str, slot: int, atom: Any) -> None:
        label = _type(atom.aval)
        for src in sources:
            self.graph.edges.append(Edge(src=src, dst=dst, slot=slot, label=label))

    def where(self, eqn: Any) -> tuple[Source | None, int]:
        """The innermost frame of the equation that lies in the cell's file."""
        if not self.cell.filename:
            return None, -1
        for frame in source_info_util.user_frames(eqn.source_info.traceback):
            if frame.file_name == self.cell.filename:
                line = frame.start_line
                text = self.lines[line - 1].strip() if 0 < line <= len(self.lines) else ""
                return Source(line, text), frame.start_column
        return None, -1

    def attrs(self, eqn: Any) -> dict[str, str]:
        attrs = {k: _short(v) for k, v in eqn.params.items() if not _inner_jaxprs_value(v)}
        scope = str(eqn.source_info.name_stack)
        if scope:
            attrs["scope"] = scope
        return attrs

    def equations(
        self,
        eqns: list[Any],
        env: dict[Any, list[str]],
        prefix: str,
        parent: str | None,
        inherited: list[str],
    ) -> None:
        for eqn in eqns:
            tags = self.tagger(eqn) if self.tagger else []
            tags = tags or list(inherited)
            inner = _inner_jaxprs(eqn)
            if inner:
                outs = self.container(eqn, inner, env, prefix, parent, tags)
            else:
                outs = [[self.operation(eqn, env, prefix, parent, tags)]] * len(eqn.outvars)
            for var, producers in zip(eqn.outvars, outs, strict=True):
                if not isinstance(var, jcore.DropVar):
                    env[var] = producers

    def operation(
        self,
        eqn: Any,
        env: dict[Any, list[str]],
        prefix: str,
        parent: str | None,
        tags: list[str],
    ) -> str:
        source, column = self.where(eqn)
        aval = eqn.outvars[0].aval if eqn.outvars else None
        node = Node(
            id=self.new_id(prefix),
            kind="op",
            label=eqn.primitive.name,
            op=eqn.primitive.name,
            dtype=str(getattr(aval, "dtype", "")),
            shape=str(tuple(getattr(aval, "shape", ()))),
            parent=parent,
            source=source,
            attrs=self.attrs(eqn),
            tags=list(tags),
        )
        if len(eqn.outvars) > 1:
            node.attrs["outputs"] = ", ".join(_type(v.aval) for v in eqn.outvars)
        self.graph.nodes.append(node)
        if source is not None:
            self.index.setdefault((node.op, source.line, column), []).append(node.id)
        for slot, atom in enumerate(eqn.invars):
            self.connect(self.sources(atom, env, prefix, parent), node.id, slot, atom)
        return node.id

    def container(
        self,
        eqn: Any,
        inner: list[tuple[str, Any]],
        env: dict[Any, list[str]],
        prefix: str,
        parent: str | None,
        tags: list[str],
    ) -> list[list[str]]:
        """A nested jit, scan, cond, while or custom rule: a subgraph per inner jaxpr."""
        name = eqn.params.get("name")
        label = f"{eqn.primitive.name} {name}" if isinstance(name, str) else eqn.primitive.name
        if "length" in eqn.params:
            label += f" (length {eqn.params['length']})"
        source, _ = self.where(eqn)
        sub_id = self.new_id(prefix)
        attrs = self.attrs(eqn)
        if source is not None:
            attrs["line"] = str(source.line)
        if tags:
            attrs["tags"] = ",".join(tags)
        self.graph.subgraphs.append(
            Subgraph(id=sub_id, label=label, kind=eqn.primitive.name, parent=parent, attrs=attrs)
        )
        outs: list[list[str]] = [[] for _ in eqn.outvars]
        for key, closed in inner:
            holder = inner_holder(self.graph, sub_id, key, len(inner))
            jaxpr, consts = _closed(closed)
            operands = _operands_for(eqn, key, len(jaxpr.invars))
            inner_env: dict[Any, list[str]] = {}
            self.constants(jaxpr.constvars, consts, inner_env, holder + "/", holder)
            for i, (var, atom) in enumerate(zip(jaxpr.invars, operands, strict=True)):
                node = self.boundary("input", f"in{i}", var.aval, holder + "/", holder)
                if atom is not None:
                    self.connect(self.sources(atom, env, prefix, parent), node, 0, atom)
                inner_env[var] = [node]
            self.equations(jaxpr.eqns, inner_env, holder + "/", holder, tags)
            results: list[str] = []
            for i, atom in enumerate(jaxpr.outvars):
                node = self.boundary("output", f"out{i}", atom.aval, holder + "/", holder)
                self.connect(self.sources(atom, inner_env, holder + "/", holder), node, 0, atom)
                results.append(node)
            if key == "cond_jaxpr":  # the loop test: no value leaves the loop
                continue
            offset = len(eqn.outvars) - len(results)
            for i, node in enumerate(results):
                if 0 <= offset + i < len(outs):
                    outs[offset + i].append(node)
        return outs


def _inner_jaxprs_value(value: Any) -> bool:
    if isinstance(value, (jcore.Jaxpr, jcore.ClosedJaxpr)):
        return True
    if not isinstance(value, (tuple, list)) or not value:
        return False
    return all(isinstance(v, (jcore.Jaxpr, jcore.ClosedJaxpr)) for v in value)


def _operands_for(eqn: Any, key: str, count: int) -> list[Any]:
    """The outer operands feeding an inner jaxpr's inputs, in order.

    ``while`` passes its two jaxprs different slices of its operands; every
    other primitive passes a suffix (cond's first operand is the index).
    """
    invars = list(eqn.invars)
    if eqn.primitive.name == "while":
        nc, nb = eqn.params["cond_nconsts"], eqn.params["body_nconsts"]
        carry = invars[nc + nb :]
        return invars[:nc] + carry if key == "cond_jaxpr" else invars[nc : nc + nb] + carry
    if count <= len(invars):
        return invars[len(invars) - count :]
    return invars + [None] * (count - len(invars))


# -- building the three views ------------------------------------------------


@contextmanager
def _config_restored() -> Iterator[None]:
    """Put every JAX flag back as it was (PyTensor's JAX backend flips x64)."""
    before = dict(jax.config.values)
    try:
        yield
    finally:
        for name, value in before.items():
            if jax.config.values.get(name) != value:
                with contextlib.suppress(Exception):  # a read-only flag cannot have changed
                    jax.config.update(name, value)


def _device(text: str) -> Any:
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
        spec = _spec(x)
        if isinstance(spec, jax.ShapeDtypeStruct) and device != default:
            return jax.ShapeDtypeStruct(
                spec.shape,
                spec.dtype,
                weak_type=spec.weak_type,
                sharding=jax.sharding.SingleDeviceSharding(device),
            )
        return spec

    return jax.tree_util.tree_map(leaf, tree)


def _is_scalar(value: Any) -> bool:
    return isinstance(value, (bool, int, float, complex))


def _is_static(value: Any, level: int) -> bool:
    """Whether a plain function must get ``value`` as a constant when re-traced.

    Non-array leaves (strings, objects) always. Hashable Python scalars only
    after tracing them as weak scalars failed: integers and booleans first
    (loop bounds, shapes), then floats too.
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


def _first_lines(error: BaseException, count: int = 4) -> str:
    lines = [line for line in str(error).splitlines() if line.strip()]
    return "\n".join(lines[:count])


@dataclass
class _Traced:
    """What every view needs: the function, how it was re-traced, its jaxpr."""

    fun: Callable[..., Any]
    traced: Any
    static: list[int]
    static_names: list[str]
    notes: list[str] = field(default_factory=list)


def _trace(name: str, obj: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> _Traced:
    """Trace ``obj`` on abstract arguments without running or compiling it."""
    fun, jitted = next(_chain(obj), (obj, None))
    if jitted is not None:
        info = _jit_info(jitted)
        static = list(getattr(info, "static_argnums", ()))
        names = list(getattr(info, "static_argnames", ()))
        try:
            return _Traced(fun, jitted.trace(*args, **kwargs), static, names)
        except Exception as error:
            raise TraceError(
                f"JAX could not trace {name}: {type(error).__name__}: {_first_lines(error)}"
            ) from None
    first: Exception | None = None
    for level in (0, 1, 2):
        static = [i for i, a in enumerate(args) if _is_static(a, level)]
        names = [k for k, v in kwargs.items() if _is_static(v, level)]
        try:
            jitted_now = jax.jit(fun, static_argnums=static, static_argnames=names)
            traced = _Traced(fun, jitted_now.trace(*args, **kwargs), static, names)
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
        f"JAX could not trace {name}: {type(first).__name__}: {_first_lines(first)}"
    ) from None


def _describe(args: tuple[Any, ...], kwargs: dict[str, Any]) -> str:
    def one(x: Any) -> str:
        if isinstance(x, jax.ShapeDtypeStruct):
            aval = jax.core.ShapedArray(x.shape, x.dtype, weak_type=x.weak_type)
            return aval.str_short(short_dtypes=True) + ("~" if x.weak_type else "")
        return repr(x)

    parts = [_short(jax.tree_util.tree_map(one, a), 80) for a in args]
    parts += [f"{k}={_short(jax.tree_util.tree_map(one, v), 80)}" for k, v in kwargs.items()]
    return ", ".join(parts)


def _costs(compiled: Any) -> tuple[dict[str, float], dict[str, int]]:
    cost: dict[str, float] = {}
    try:
        analysis = compiled.cost_analysis()
        if isinstance(analysis, (list, tuple)):
            analysis = analysis[0] if analysis else {}
        for key in ("flops", "transcendentals", "bytes accessed", "optimal_seconds"):
            if key in analysis:
                cost[key] = float(analysis[key])
    except Exception:
        pass
    memory: dict[str, int] = {}
    try:
        stats = compiled.memory_analysis()
        for key, attr in (
            ("argument", "argument_size_in_bytes"),
            ("output", "output_size_in_bytes"),
            ("temp", "temp_size_in_bytes"),
            ("alias", "alias_size_in_bytes"),
            ("code", "generated_code_size_in_bytes"),
            ("peak", "peak_memory_in_bytes"),
        ):
            if hasattr(stats, attr):
                memory[key] = int(getattr(stats, attr))
    except Exception:
        pass
    return cost, memory


def _cost_note(cost: dict[str, float], memory: dict[str, int]) -> str:
    """XLA's own estimate, in the words a user reads in the view's notes."""
    parts = [
        f"{cost[k]:g} {k}" for k in ("flops", "transcendentals", "bytes accessed") if k in cost
    ]
    sizes = [f"{k} {memory[k]:,} B" for k in ("argument", "output", "temp", "peak") if k in memory]
    text = "XLA cost analysis: " + (", ".join(parts) or "none")
    return text + ("; memory: " + ", ".join(sizes) if sizes else "")


def _grad_tag(eqn: Any) -> list[str]:
    """Backward equations carry ``transpose(...)`` in their name stack, forward ``jvp(...)``."""
    stack = str(eqn.source_info.name_stack)
    if "transpose(" in stack:
        return ["backward"]
    if "jvp(" in stack:
        return ["forward"]
    return []


def _float_leaf(x: Any) -> bool:
    dtype = x.dtype if isinstance(x, jax.ShapeDtypeStruct) else np.result_type(x)
    return jnp.issubdtype(dtype, jnp.inexact)


def _gradient(
    t: _Traced,
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
    options: Options,
    cell: CellInfo,
) -> Graph:
    """The dead-code-eliminated jaxpr of ``jax.grad``, forward and backward told apart."""
    graph = Graph()
    params = _param_names(t.fun, len(args))
    candidates = [i for i in range(len(args)) if i not in t.static]
    try:
        wrt = [int(w) for w in options.wrt] if options.wrt else candidates[:1]
    except ValueError:
        graph.notes.append(f"--wrt takes argument numbers for JAX, got {', '.join(options.wrt)}.")
        return graph
    usable = []
    for i in wrt:
        if i not in candidates:
            graph.notes.append(f"argument {i} is not an array argument of {params}; skipped.")
        elif not all(_float_leaf(x) for x in jax.tree_util.tree_leaves(args[i])):
            graph.notes.append(
                f"argument {i} ({params[i]}) is not floating point: "
                "JAX cannot differentiate it; skipped."
            )
        else:
            usable.append(i)
    out_avals = t.traced.jaxpr.out_avals
    if not usable or not out_avals:
        graph.notes.append("no gradient: nothing differentiable to differentiate.")
        return graph
    if not all(jnp.issubdtype(a.dtype, jnp.inexact) for a in out_avals):
        graph.notes.append("no gradient: the function has integer or boolean outputs.")
        return graph
    scalar = len(out_avals) == 1 and out_avals[0].shape == ()
    if not scalar:
        outs = ", ".join(_type(a) for a in out_avals)
        graph.notes.append(
            f"the output ({outs}) is not a scalar: this is the gradient of "
            "the sum of all its elements."
        )

    def objective(*a: Any, **k: Any) -> Any:
        out = t.fun(*a, **k)
        if scalar:
            return jax.tree_util.tree_leaves(out)[0]
        return sum(jnp.sum(jnp.real(x)) for x in jax.tree_util.tree_leaves(out))

    argnums = tuple(usable)
    try:
        closed = jax.make_jaxpr(jax.grad(objective, argnums=argnums), static_argnums=t.static)(
            *args, **kwargs
        )
    except Exception as error:  # the other views stay useful without a gradient
        graph.notes.append(
            f"JAX cannot differentiate this function: {type(error).__name__}: "
            f"{_first_lines(error, 2)}"
        )
        return graph
    from jax._src.interpreters import partial_eval as pe

    before = len(closed.jaxpr.eqns)
    jaxpr, used_consts, used_inputs = pe.dce_jaxpr_consts(
        closed.jaxpr, [True] * len(closed.jaxpr.outvars)
    )
    consts = [c for c, used in zip(closed.consts, used_consts, strict=True) if used]
    names = [
        n
        for n, used in zip(_flat_names(params, args, kwargs, t.static), used_inputs, strict=False)
        if used
    ]
    results = [f"d/d {params[i]}" for i in argnums]
    if sum(len(jax.tree_util.tree_leaves(args[i])) for i in argnums) != len(jaxpr.outvars):
        results = []
    notes = graph.notes
    graph = _JaxprConverter(cell, tagger=_grad_tag).convert(
        jcore.ClosedJaxpr(jaxpr, consts), names, results
    )
    _mark_residuals(graph)
    wrt_text = ", ".join(f"{i} ({params[i]})" for i in argnums)
    graph.notes = [
        f"gradient with respect to argument {wrt_text}; "
        f"{before - len(jaxpr.eqns)} dead forward equations removed.",
        *notes,
    ]
    return graph


def _param_names(fun: Callable[..., Any], count: int) -> list[str]:
    try:
        params = [
            p.name
            for p in inspect.signature(fun).parameters.values()
            if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
        ]
    except (TypeError, ValueError):
        params = []
    return [params[i] if i < len(params) else f"arg{i}" for i in range(count)]


def _flat_names(
    params: list[str], args: tuple[Any, ...], kwargs: dict[str, Any], static: list[int]
) -> list[str]:
    names = []
    for i, arg in enumerate(args):
        if i in static:
            continue
        for path, _ in jax.tree_util.tree_flatten_with_path(arg)[0]:
            names.append(params[i] + jax.tree_util.keystr(path))
    for key, value in kwargs.items():
        for path, _ in jax.tree_util.tree_flatten_with_path(value)[0]:
            names.append(key + jax.tree_util.keystr(path))
    return names


def _mark_residuals(graph: Graph) -> None:
    """Values the forward pass saves for the backward pass: edges forward -> backward."""
    nodes = {n.id: n for n in graph.nodes}
    for edge in graph.edges:
        src, dst = nodes.get(edge.src), nodes.get(edge.dst)
        if src is None or dst is None:
            continue
        if "forward" in src.tags and "backward" in dst.tags:
            edge.tags.append("residual")
            if "residual" not in src.tags:
                src.tags.append("residual")


def _linker(index: dict[tuple[str, int, int], list[str]]) -> Callable[[HloSource], list[str]]:
    by_line: dict[tuple[str, int], list[str]] = {}
    for (op, line, _), ids in index.items():
        by_line.setdefault((op, line), []).extend(ids)

    def link(where: HloSource) -> list[str]:
        if where.line is None or not where.op_name:
            return []
        op = where.op_name.rsplit("/", 1)[-1].split("[", 1)[0]
        return index.get((op, where.line, where.column or -1)) or by_line.get((op, where.line), [])

    return link


class JaxFrontend:
    """The JAX frontend of ``%%tgraph`` (see the module docstring)."""

    framework = "jax"
    module = "jax"

    def observe(self) -> Any:
        """Record the abstract arguments of every function JAX traces in the cell.

        Enter it before the cell runs and leave it after; nesting is fine.
        """
        return _observing()

    def targets(self, changed: dict[str, Any], cell: CellInfo) -> list[Target]:
        found: dict[int, Target] = {}
        for name, value in changed.items():
            chosen = None
            for fun, jitted in _chain(value):
                call = _LOG.last(fun)
                if call is None and jitted is not None and fun is jitted._fun:
                    call = _cached_call(jitted)
                if call is not None or (jitted is not None and fun is jitted._fun):
                    chosen = (fun, jitted, call)
                    break
            if chosen is None:
                continue
            fun, jitted, call = chosen
            if id(fun) in found:
                found[id(fun)].aliases.append(name)
                continue
            found[id(fun)] = Target(
                name=name,
                framework="jax",
                obj=jitted if jitted is not None and jitted._fun is fun else fun,
                args=call.args if call else None,
                kwargs=call.kwargs if call else None,
            )
        return list(found.values())

    def declared(self, changed: dict[str, Any]) -> list[Declared]:
        return []

    def build(self, target: Target, options: Options, cell: CellInfo) -> GraphBundle:
        if target.args is None:
            raise TraceError(
                f"{target.name} was not called in this cell, so its argument shapes are "
                f"unknown: call it, or name example arguments: %%tgraph {target.name}(x, ...)"
            )
        device = _device(options.device)
        args = tuple(_abstract(tuple(target.args), device))
        kwargs = dict(_abstract(dict(target.kwargs or {}), device))
        with _config_restored():
            return self._build(target, options, cell, args, kwargs, device)

    def _build(
        self,
        target: Target,
        options: Options,
        cell: CellInfo,
        args: tuple[Any, ...],
        kwargs: dict[str, Any],
        device: Any,
    ) -> GraphBundle:
        t = _trace(target.name, target.obj, args, kwargs)
        closed = t.traced.jaxpr
        dbg = closed.jaxpr.debug_info
        arg_names = list(dbg.arg_names or ()) if dbg else []
        results = (
            list(dbg.result_paths or ()) if dbg and isinstance(dbg.result_paths, tuple) else []
        )
        conv = _JaxprConverter(cell)
        original = conv.convert(closed, arg_names, results)
        call_text = f"{target.name}({_describe(args, kwargs)})"
        original.notes.append(f"traced as {call_text}")
        scalars = [str(i) for i, a in enumerate(args) if _is_scalar(a) and i not in t.static]
        scalars += [k for k, v in kwargs.items() if _is_scalar(v) and k not in t.static_names]
        if scalars or "~" in call_text:
            original.notes.append(
                "Python scalars and ~-marked values are weakly typed: they take the dtype "
                "of the arrays they meet."
            )
        original.notes += t.notes
        try:
            lowered = t.traced.lower()
            compiled = lowered.compile()
        except Exception as error:
            raise TraceError(
                f"JAX could not compile {target.name}: {type(error).__name__}: "
                f"{_first_lines(error)}"
            ) from None
        hlo_text = compiled.as_text() or ""
        optimized, module = hlo_graph(hlo_text, cell.filename, cell.code, _linker(conv.index))
        fusions = [s for s in optimized.subgraphs if s.kind == "fusion"]
        optimized.notes.append(f"XLA {device.platform} ({device}): {len(fusions)} fusions.")
        gradient = _gradient(t, args, kwargs, options, cell)
        cost, memory = _costs(compiled)
        if cost or memory:
            optimized.notes.append(_cost_note(cost, memory))
        return GraphBundle(
            target=target.name,
            framework="jax",
            views={"original": original, "optimized": optimized, "gradient": gradient},
            info={
                "call": call_text,
                "device": str(device),
                "stablehlo": lowered.as_text(),
                "hlo": hlo_text,
                "hlo_module": module.name,
                "cost": cost,
                "memory": memory,
                "equations": sum(1 for n in original.nodes if n.kind == "op"),
            },
        )

    def hint(self, error: BaseException) -> str | None:
        return None
