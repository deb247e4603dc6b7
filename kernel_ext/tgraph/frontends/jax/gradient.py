"""The gradient view, checked against JAX's own derivative; XLA's cost estimate.

A gradient view must never show what JAX would not compute: the drawn
jaxpr is evaluated at the cell's inputs (or made-up ones of the recorded
shapes) and compared with ``jax.grad``, falling back to ``jax.jacfwd``.
Where they disagree, or JAX refuses, the view is empty and says why.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import jax
import jax.extend.core as jcore
import jax.numpy as jnp
import numpy as np

from ...graph import Graph
from ...protocol import CellInfo, Options
from .jaxpr import JaxprConverter, type_text

REFUSED = "JAX cannot differentiate this function"


@dataclass
class Differentiable:
    """What the gradient is taken of: a function, its abstract arguments, its statics."""

    fun: Callable[..., Any]
    args: tuple[Any, ...]
    kwargs: dict[str, Any]
    static: list[int]
    out_avals: list[Any]
    #: Values to check the gradient at, and what they are, in words.
    values: Callable[[], tuple[tuple[Any, ...], dict[str, Any]]]
    at: str = "the cell's inputs"
    #: Set for a program laid out over a mesh: its collectives are found by compiling.
    sharded: bool = False
    #: Why running the program would touch the user's world (``Target.effects``).
    effects: str = ""
    #: Keyword arguments jit holds static (``static_argnames``): closed over, never traced.
    static_names: list[str] = field(default_factory=list)


def first_lines(error: BaseException, count: int = 4) -> str:
    lines = [line for line in str(error).splitlines() if line.strip()]
    return "\n".join(lines[:count])


def grad_tag(eqn: Any) -> list[str]:
    """Backward equations carry ``transpose(...)`` in their name stack, forward ``jvp(...)``."""
    stack = str(eqn.source_info.name_stack)
    if "transpose(" in stack:
        return ["backward"]
    if "jvp(" in stack:
        return ["forward"]
    return []


def _float_leaf(x: Any) -> bool:
    dtype = x.dtype if isinstance(x, jax.ShapeDtypeStruct) else np.result_type(x)
    return bool(jnp.issubdtype(dtype, jnp.inexact))


def _all_float(arg: Any) -> bool:
    return all(_float_leaf(x) for x in jax.tree_util.tree_leaves(arg))


def _upto(candidates: list[int], floats: list[int]) -> int:
    """How many candidates to try by default: up to the first floating one, so
    the ones before it are named as skipped."""
    return candidates.index(floats[0]) + 1 if floats else 1


def param_names(fun: Callable[..., Any], count: int) -> list[str]:
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


def _refused(graph: Graph, error: BaseException) -> Graph:
    graph.notes.insert(0, f"{REFUSED}: {type(error).__name__}: {first_lines(error, 2)}")
    return graph


def gradient(d: Differentiable, options: Options, cell: CellInfo) -> Graph:
    """The dead-code-eliminated jaxpr of ``jax.grad``, forward and backward told apart."""
    graph = Graph()
    args = d.args
    kwargs = {k: v for k, v in d.kwargs.items() if k not in d.static_names}
    fixed = {k: v for k, v in d.kwargs.items() if k in d.static_names}
    params = param_names(d.fun, len(args))
    candidates = [i for i in range(len(args)) if i not in d.static]
    # by default the first argument JAX can differentiate (a sparse matrix of
    # integer indices and values comes first in many calls)
    default = candidates[: _upto(candidates, [i for i in candidates if _all_float(args[i])])]
    try:
        wrt = [int(w) for w in options.wrt] if options.wrt else default
    except ValueError:
        graph.notes.append(f"--wrt takes argument numbers for JAX, got {', '.join(options.wrt)}.")
        return graph
    usable = []
    for i in wrt:
        if i not in candidates:
            graph.notes.append(f"argument {i} is not an array argument of {params}; skipped.")
        elif not _all_float(args[i]):
            graph.notes.append(
                f"argument {i} ({params[i]}) is not floating point: "
                "JAX cannot differentiate it; skipped."
            )
        else:
            usable.append(i)
    if not usable or not d.out_avals:
        graph.notes.append("no gradient: nothing differentiable to differentiate.")
        return graph
    if not all(jnp.issubdtype(a.dtype, jnp.inexact) for a in d.out_avals):
        graph.notes.append("no gradient: the function has integer or boolean outputs.")
        return graph
    scalar = len(d.out_avals) == 1 and d.out_avals[0].shape == ()
    if not scalar:
        outs = ", ".join(type_text(a) for a in d.out_avals)
        complex_out = any(jnp.issubdtype(a.dtype, jnp.complexfloating) for a in d.out_avals)
        summed = "the real part of the sum" if complex_out else "the sum"
        graph.notes.append(
            f"the output ({outs}) is not a scalar: this is the gradient of "
            f"{summed} of all its elements."
        )

    def objective(*a: Any, **k: Any) -> Any:
        out = d.fun(*a, **k, **fixed)
        if scalar:
            return jax.tree_util.tree_leaves(out)[0]
        return sum(jnp.sum(jnp.real(x)) for x in jax.tree_util.tree_leaves(out))

    argnums = tuple(usable)
    try:
        closed = jax.make_jaxpr(jax.grad(objective, argnums=argnums), static_argnums=d.static)(
            *args, **kwargs
        )
    except Exception as error:  # the other views stay useful without a gradient
        return _refused(graph, error)
    from jax._src.interpreters import partial_eval as pe

    before = len(closed.jaxpr.eqns)
    jaxpr, used_consts, used_inputs = pe.dce_jaxpr_consts(
        closed.jaxpr, [True] * len(closed.jaxpr.outvars)
    )
    consts = [c for c, used in zip(closed.consts, used_consts, strict=True) if used]
    drawn = jcore.ClosedJaxpr(jaxpr, consts)
    check = _check(d, objective, argnums, drawn, used_inputs)
    if check.startswith(REFUSED):
        return Graph(notes=[check, *graph.notes])
    names = [
        n
        for n, used in zip(_flat_names(params, args, kwargs, d.static), used_inputs, strict=False)
        if used
    ]
    # one name per leaf (d/d params['layers'][3]['wq']), so a model's
    # gradients group like its parameters
    results = [
        f"d/d {params[i]}{jax.tree_util.keystr(path)}"
        for i in argnums
        for path, _ in jax.tree_util.tree_flatten_with_path(args[i])[0]
    ]
    if len(results) != len(jaxpr.outvars):
        results = []
    notes = graph.notes
    conv = JaxprConverter(cell, tagger=grad_tag)
    graph = conv.convert(drawn, names, results)
    _mark_residuals(graph)
    if d.sharded:
        notes.append(_collectives(d, objective, argnums, graph, conv, cell))
    wrt_text = ", ".join(f"{i} ({params[i]})" for i in argnums)
    graph.notes = [
        f"gradient with respect to argument {wrt_text}; "
        f"{before - len(jaxpr.eqns)} dead forward equations removed.",
        *notes,
        check,
    ]
    return graph


def _collectives(
    d: Differentiable,
    objective: Callable[..., Any],
    argnums: tuple[int, ...],
    graph: Graph,
    conv: JaxprConverter,
    cell: CellInfo,
) -> str:
    """Tag the equations XLA's partitioner gave collectives in the compiled gradient.

    The drawn gradient is a jaxpr, where a mesh's collectives do not exist
    yet: they appear when XLA partitions the program, and link back to the
    equations that caused them (the backward all-reduce of data
    parallelism, on the weight gradient's dot).
    """
    from .hlo import hlo_graph
    from .jaxpr import linker
    from .sharding import communication

    try:
        jitted = jax.jit(jax.grad(objective, argnums=argnums), static_argnums=d.static)
        dynamic = {k: v for k, v in d.kwargs.items() if k not in d.static_names}
        compiled = jitted.trace(*d.args, **dynamic).lower().compile()
    except Exception as error:
        return f"collectives not found: XLA could not compile the gradient: {first_lines(error, 1)}"
    text = compiled.as_text() or ""
    hlo, module = hlo_graph(text, cell.filename, cell.code, linker(conv.index))
    nodes = {n.id: n for n in graph.nodes}
    for node in hlo.nodes:
        if "collective" not in node.tags or "bytes" not in node.attrs:
            continue
        linked = [nodes[i] for i in node.attrs.get("jaxpr", "").split(",") if i in nodes]
        # the same line holds forward and backward equations: the name stack tells them apart
        scope = node.attrs.get("op_name", "").partition("/")[2].rpartition("/")[0]
        same = [n for n in linked if n.attrs.get("scope", "") == scope]
        for drawn in same or linked:
            kind = node.attrs["collective"]
            if "collective" not in drawn.tags:
                drawn.tags.append("collective")
                drawn.label += f" ⇒ {kind}"
            said = drawn.attrs.get("collectives", "")
            one = f"{kind} {node.attrs['bytes']} over {node.attrs.get('replica_groups', '?')}"
            drawn.attrs["collectives"] = f"{said}; {one}" if said else one
    talk = communication(module, text)
    return "compiled for the mesh, the gradient's " + talk.note()


def _check(
    d: Differentiable,
    objective: Callable[..., Any],
    argnums: tuple[int, ...],
    drawn: Any,
    used_inputs: list[bool],
) -> str:
    """The check's verdict as the view's note; starts with ``REFUSED`` when it fails."""
    if d.effects:  # the check runs the program and its gradient: the callbacks would run
        return f"not checked numerically: {d.effects}, and a check would run it"
    try:
        args, kwargs = d.values()
    except Exception as error:
        return f"not checked numerically: no values to check at ({first_lines(error, 1)})"
    kwargs = {k: v for k, v in kwargs.items() if k not in d.static_names}
    flat = [
        leaf
        for i, a in enumerate(args)
        if i not in d.static
        for leaf in jax.tree_util.tree_leaves(a)
    ] + jax.tree_util.tree_leaves(kwargs)
    try:
        used = [x for x, u in zip(flat, used_inputs, strict=False) if u]
        mine = jax.block_until_ready(jax.jit(jcore.jaxpr_as_fun(drawn))(*used))
    except Exception as error:
        why = f"{type(error).__name__}: {first_lines(error, 2)}"
        return f"{REFUSED}: evaluating the drawn gradient failed: {why}"
    fixed = {i: a for i, a in enumerate(args) if i in d.static}

    def dynamic(*dyn: Any, **k: Any) -> Any:
        it = iter(dyn)
        full = [fixed[i] if i in fixed else next(it) for i in range(len(args))]
        return objective(*full, **k)

    dyn_args = [a for i, a in enumerate(args) if i not in d.static]
    dyn_argnums = tuple(sum(1 for j in range(i) if j not in d.static) for i in argnums)
    refused: BaseException | None = None
    reference = None
    against = "jax.grad"
    for name, transform in (("jax.grad", jax.grad), ("jax.jacfwd", jax.jacfwd)):
        try:
            reference = jax.jit(transform(dynamic, argnums=dyn_argnums))(*dyn_args, **kwargs)
        except Exception as error:
            refused = refused or error
            continue
        against = name
        break
    if reference is None:
        assert refused is not None
        return f"{REFUSED}: {type(refused).__name__}: {first_lines(refused, 2)}"
    expected = [np.asarray(x) for x in jax.tree_util.tree_leaves(reference)]
    got = [np.asarray(x) for x in jax.tree_util.tree_leaves(mine)]
    agree = len(expected) == len(got) and all(
        e.shape == g.shape and np.allclose(e, g, rtol=1e-4, atol=1e-6, equal_nan=True)
        for e, g in zip(expected, got, strict=True)
    )
    if not agree:
        shown = ", ".join(_shown(g) for g in got)
        wanted = ", ".join(_shown(e) for e in expected)
        why = f"the drawn gradient gives {shown} where {against} gives {wanted} at {d.at}"
        if refused is not None:
            why = f"{type(refused).__name__}: {first_lines(refused, 2)} ({why})"
        return f"{REFUSED}: {why}"
    if refused is not None:
        return (
            f"checked against jax.jacfwd at {d.at} (jax.grad refused: "
            f"{type(refused).__name__}: {first_lines(refused, 1)})"
        )
    return f"checked against jax.grad at {d.at}"


def _shown(value: np.ndarray) -> str:
    """A few numbers of ``value``, short: ``[0, 0.8415]``, ``1.087``."""
    flat = np.ravel(value)
    items = [f"{x:.4g}" for x in flat[:6]] + (["..."] if flat.size > 6 else [])
    text = ", ".join(items)
    return text if np.ndim(value) == 0 else f"[{text}]"
