"""Values on a JAX graph: the jaxpr interpreted equation by equation, and the first NaN."""

from __future__ import annotations

from typing import Any

import jax.numpy as jnp
import numpy as np

from tgraph.frontends.jax import JaxFrontend
from tgraph.protocol import CellInfo, Options, Traced, values_of

FRONTEND = JaxFrontend()
FAULT = """
import jax, jax.numpy as jnp

@jax.jit
def f(v):
    return jnp.sum(jnp.sqrt(v - 1) * jnp.exp(v))

f(jnp.array([0.5, 2.0, 3.0]))
"""


def traced(code: str, name: str, args: tuple[Any, ...] | None = None) -> Traced:
    cell = CellInfo(code, "<tgraph-values-cell>")
    namespace: dict[str, Any] = {}
    with FRONTEND.observe():
        exec(compile(code, cell.filename, "exec"), namespace)
    changed = {k: v for k, v in namespace.items() if not k.startswith("__")}
    target = next(t for t in FRONTEND.targets(changed, cell) if t.name == name)
    if args is not None:  # as `%%tgraph f(v0)` gives them
        target.args, target.kwargs = args, {}
    return FRONTEND.trace(target, Options(), cell)


def test_the_first_non_finite_equation_is_the_sqrt() -> None:
    found = traced(FAULT, "f", (np.array([0.5, 2.0, 3.0], np.float32),))
    values = values_of(found, "original").to_json()
    assert values["inputs"] == "the cell's inputs"
    first = values["first_nonfinite"]
    assert first is not None
    graph = found.bundle.views["original"]
    assert graph.node(first["node"]).op == "sqrt"
    assert first["finite_inputs"] == ["sub"]
    assert values["nodes"][first["node"]]["nan"] == 1
    assert values["nodes"][first["node"]]["preview"] == "[nan, 1, 1.414]"
    sub = next(n for n in graph.nodes if n.op == "sub")
    assert values["nodes"][sub.id]["preview"] == "[-0.5, 1, 2]"


def test_values_are_what_jax_computes() -> None:
    found = traced(FAULT, "f", (np.array([0.5, 2.0, 3.0], np.float32),))
    values = values_of(found, "original").to_json()
    graph = found.bundle.views["original"]
    exp = next(n for n in graph.nodes if n.op == "exp")
    want = np.asarray(jnp.exp(jnp.array([0.5, 2.0, 3.0], jnp.float32)))
    got = values["nodes"][exp.id]
    assert (got["min"], got["max"]) == (float(want.min()), float(want.max()))
    assert got["dtype"] == "float32" and got["shape"] == [3]


def test_without_recorded_values_the_inputs_are_made_up_and_said_so() -> None:
    """The cell's array is gone (the call donated it): the values say they are made up."""
    donated = """
import jax, jax.numpy as jnp
from functools import partial

@partial(jax.jit, donate_argnums=0)
def f(v):
    return jnp.sqrt(v - 1) * jnp.exp(v)

f(jnp.array([0.5, 2.0, 3.0]))
"""
    values = values_of(traced(donated, "f"), "original").to_json()
    assert values["made_up"] is True
    assert values["inputs"] == "made-up inputs of the shapes the cell's call had"
    assert values["first_nonfinite"] is not None  # made-up values lie in [0.5, 1.5)


def test_the_compiled_view_shows_the_values_of_the_equations_it_came_from() -> None:
    found = traced(FAULT, "f", (np.array([0.5, 2.0, 3.0], np.float32),))
    values = values_of(found, "optimized").to_json()
    first = values["first_nonfinite"]
    assert first is not None
    node = found.bundle.views["optimized"].node(first["node"])
    assert node.op == "sqrt"
    assert node.parent is not None  # inside XLA's fusion
    assert values["nodes"][first["node"]]["preview"] == "[nan, 1, 1.414]"


def test_a_nested_jit_has_values_inside_it() -> None:
    code = """
import jax, jax.numpy as jnp

@jax.jit
def inner(x):
    return jnp.log(x)

@jax.jit
def outer(x):
    return inner(x) * 2.0

outer(jnp.array([1.0, -1.0]))
"""
    found = traced(code, "outer", (np.array([1.0, -1.0], np.float32),))
    values = values_of(found, "original").to_json()
    graph = found.bundle.views["original"]
    log = next(n for n in graph.nodes if n.op == "log")
    assert log.parent is not None  # drawn inside the nested jit
    assert values["nodes"][log.id]["nan"] == 1
    assert values["first_nonfinite"] is not None
    assert values["first_nonfinite"]["node"] == log.id
