"""The gradient view is checked against JAX's own derivative, or shows JAX's refusal.

Cells tried: a ``custom_jvp`` with ``nondiff_argnums=(0,)`` whose argument 0
is a function and whose rule runs a ``lax.while_loop`` (JAX's grad refuses,
``jacfwd`` gives 3·cos(1.2); the view is empty with JAX's message), and
the check itself on a drawn graph that is wrong (it says so with both
numbers) and on one only ``jacfwd`` can confirm.
"""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp
import numpy as np
from jax_cells import build_one

from tgraph.frontends.jax.gradient import REFUSED, Differentiable, _check

CUSTOM_JVP_WHILE = """
import jax
import jax.numpy as jnp
from functools import partial
from jax import lax

@partial(jax.custom_jvp, nondiff_argnums=(0,))
def run(f, c):
    def body(s):
        i, acc = s
        return i + 1, acc + f(c)
    return lax.while_loop(lambda s: s[0] < 3, body, (0, 0.0))[1]

@run.defjvp
def run_jvp(f, primals, tangents):
    (c,), (t,) = primals, tangents
    def body(s):
        i, acc, dacc = s
        y, dy = jax.jvp(f, (c,), (t,))
        return i + 1, acc + y, dacc + dy
    _, y, dy = lax.while_loop(lambda s: s[0] < 3, body, (0, 0.0, 0.0))
    return y, dy

@jax.jit
def tot(c):
    return run(jnp.sin, c)

forward = jax.jacfwd(tot)(1.2)
"""


def test_a_gradient_jax_refuses_is_an_empty_view_with_jax_own_message() -> None:
    bundle, _ = build_one(CUSTOM_JVP_WHILE, "tot")
    gradient = bundle.views["gradient"]
    assert gradient.nodes == [] and gradient.edges == []
    assert gradient.notes[0] == (
        "JAX cannot differentiate this function: ValueError: Reverse-mode differentiation "
        "does not work for lax.while_loop or lax.fori_loop with dynamic start/stop values. "
        "Try using lax.scan, or using fori_loop with static start/stop."
    )
    # The other views are still there, and forward mode works in the cell.
    assert "while" in {s.kind for s in bundle.views["original"].subgraphs}
    assert bundle.views["optimized"].nodes


def _drawn(fun: object, *args: object) -> tuple[object, list[bool]]:
    closed = jax.make_jaxpr(fun)(*args)
    return closed, [True] * len(closed.jaxpr.invars)


def test_a_drawn_gradient_that_disagrees_is_refused_with_both_values() -> None:
    x = np.array([0.0, 1.0], np.float32)
    d = Differentiable(
        fun=lambda v: jnp.sin(v).sum(),
        args=(jax.ShapeDtypeStruct((2,), jnp.float32),),
        kwargs={},
        static=[],
        out_avals=[jax.core.ShapedArray((), jnp.float32)],
        values=lambda: ((x,), {}),
        at="x = [0, 1]",
    )
    wrong, used = _drawn(jnp.sin, x)  # sin where cos is right
    verdict = _check(d, d.fun, (0,), wrong, used)
    assert verdict == (
        f"{REFUSED}: the drawn gradient gives [0, 0.8415] where jax.grad gives "
        "[1, 0.5403] at x = [0, 1]"
    )
    right, used = _drawn(jnp.cos, x)
    assert _check(d, d.fun, (0,), right, used) == "checked against jax.grad at x = [0, 1]"


def test_when_grad_refuses_jacfwd_confirms_a_right_graph() -> None:
    import linecache

    namespace: dict[str, object] = {}
    exec(compile(CUSTOM_JVP_WHILE, "<custom-jvp>", "exec"), namespace)
    linecache.checkcache("<custom-jvp>")
    tot = namespace["tot"]
    c = np.float32(1.2)
    assert math.isclose(float(namespace["forward"]), 3 * math.cos(1.2), rel_tol=1e-5)
    d = Differentiable(
        fun=tot,
        args=(jax.ShapeDtypeStruct((), jnp.float32),),
        kwargs={},
        static=[],
        out_avals=[jax.core.ShapedArray((), jnp.float32)],
        values=lambda: ((c,), {}),
        at="c = 1.2",
    )
    right, used = _drawn(lambda v: 3 * jnp.cos(v), c)
    assert _check(d, tot, (0,), right, used) == (
        "checked against jax.jacfwd at c = 1.2 (jax.grad refused: ValueError: "
        "Reverse-mode differentiation does not work for lax.while_loop or lax.fori_loop "
        "with dynamic start/stop values. Try using lax.scan, or using fori_loop with "
        "static start/stop.)"
    )
    zero, used = _drawn(lambda v: v * 0.0, c)
    assert _check(d, tot, (0,), zero, used) == (
        f"{REFUSED}: ValueError: Reverse-mode differentiation does not work for "
        "lax.while_loop or lax.fori_loop with dynamic start/stop values. Try using lax.scan, "
        "or using fori_loop with static start/stop. (the drawn gradient gives 0 where "
        "jax.jacfwd gives 1.087 at c = 1.2)"
    )


def test_a_checked_gradient_says_where_it_was_checked() -> None:
    src = """
    import jax
    import jax.numpy as jnp

    def loss(w, x):
        return jnp.sum(jnp.tanh(x @ w) ** 2)

    jax.jit(loss)(jnp.ones((3, 2)), jnp.ones((4, 3)))
    """
    bundle, _ = build_one(src, "loss")
    gradient = bundle.views["gradient"]
    # the arrays the cell's call passed, which JAX traced
    assert gradient.notes[-1] == "checked against jax.grad at the cell's inputs"
    assert [n.label for n in gradient.nodes if n.kind == "output"] == ["d/d w"]


# -- cells from JAX's issue tracker and docs (see tests/python/README.md) --

COO = """
import jax
import jax.numpy as jnp
from typing import NamedTuple
from jax.tree_util import register_pytree_node

class Coo(NamedTuple):
    rows: jnp.ndarray
    cols: jnp.ndarray
    vals: jnp.ndarray
    shape: tuple

register_pytree_node(Coo, lambda m: (m[:3], m[3]), lambda aux, kids: Coo(*kids, aux))

@jax.jit
def spmv(m, vec):
    prod = jnp.take(vec, m.cols, axis=0) * m.vals
    return jax.ops.segment_sum(prod, m.rows, m.shape[0])

mat = Coo(jnp.array([0, 1, 1]), jnp.array([1, 0, 2]), jnp.array([2.0, 3.0, 4.0]), (2, 3))
y = spmv(mat, jnp.array([1.0, 2.0, 3.0]))
"""


def test_by_default_the_first_argument_jax_can_differentiate_is_taken() -> None:
    """A sparse matrix with integer indices comes first; the dense vector is differentiable."""
    bundle, _ = build_one(COO, "spmv")
    notes = bundle.views["gradient"].notes
    assert notes[:3] == [
        "gradient with respect to argument 1 (vec); 6 dead forward equations removed.",
        "argument 0 (m) is not floating point: JAX cannot differentiate it; skipped.",
        "the output (f32[2]) is not a scalar: this is the gradient of the sum of all its elements.",
    ]
    outputs = bundle.views["gradient"].nodes
    assert [n.label for n in outputs if n.kind == "output" and not n.parent] == ["d/d vec"]


def test_a_static_keyword_argument_is_held_not_traced() -> None:
    """``static_argnames=['mode']`` with a string: the gradient closes over it as jit does."""
    bundle, _ = build_one(
        """
import jax
import jax.numpy as jnp
from functools import partial

@partial(jax.jit, static_argnames=["mode"])
def act(x, mode):
    return jnp.where(x > 0, x, 0.01 * x) if mode == "leaky" else jnp.maximum(x, 0)

av = act(jnp.array([-1.0, 2.0]), mode="leaky")
""",
        "act",
    )
    notes = bundle.views["gradient"].notes
    assert notes[0] == "gradient with respect to argument 0 (x); 4 dead forward equations removed."
    # the cell's own call: its array, and the string held static
    assert notes[-1] == "checked against jax.grad at the cell's inputs"


def test_a_complex_output_is_differentiated_through_its_real_part_and_says_so() -> None:
    bundle, _ = build_one(
        """
import jax
import jax.numpy as jnp
Jm = jnp.ones((3, 3))
cmv = jax.jit(lambda v: jnp.matmul(Jm, v))
res = cmv((1.0 + 1.0j) * jnp.ones(3))
""",
        "cmv",
    )
    assert bundle.views["gradient"].notes[1] == (
        "the output (c64[3]) is not a scalar: this is the gradient of the real part of the sum "
        "of all its elements."
    )
