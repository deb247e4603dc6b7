"""Which program the cell ran: hooks in place only while it runs, transformations kept.

Cells tried here, from JAX's documentation and issue reports of users:
``jax.vmap`` over a function with ``lax.cond`` and ``jax.debug.print``
(batched into ``select_n``: drawn batched), ``jax.jit(jax.vmap(f))``
(one target, named after the jitted variable), ``jax.grad(f)(x)`` called
directly (the gradient program), ``jax.checkpoint`` eager and under
``jax.grad`` (the remat program), ``jax.vjp`` (only the inner function,
said in the first note), a jitted function called inside another (drawn
inside it, not a target of its own).
"""

from __future__ import annotations

import jax
import numpy as np
import pytest
from jax_cells import build, build_one, run_cell, target_of, targets

from tgraph.frontends.jax import JaxFrontend
from tgraph.frontends.jax.capture import hook_points
from tgraph.protocol import Options


def _hooked_attributes() -> dict[str, object]:
    return {f"{m.__name__}.{attr}": getattr(m, attr) for m, attr, _, _ in hook_points()}


def test_jax_internals_are_restored_after_the_cell() -> None:
    before = _hooked_attributes()
    assert len(before) == 5
    frontend = JaxFrontend()
    with frontend.observe():
        inside = _hooked_attributes()
        with frontend.observe():  # a nested observe keeps them until the outer one ends
            pass
        assert _hooked_attributes() == inside
    after = _hooked_attributes()
    assert all(inside[k] is not before[k] for k in before)
    assert all(after[k] is before[k] for k in before)


def test_hooks_are_restored_when_the_cell_raises() -> None:
    before = _hooked_attributes()
    with pytest.raises(ZeroDivisionError), JaxFrontend().observe():
        jax.jit(lambda x: x + 1)(np.ones(2))
        _ = 1 / 0
    assert all(_hooked_attributes()[k] is before[k] for k in before)


PICK = """
import jax
import jax.numpy as jnp

def pick(x):
    def small(v):
        jax.debug.print("small {v}", v=v)
        return v * 0.5
    return jax.lax.cond(x > 0.5, lambda v: v * 2.0, small, x)

out = jax.vmap(pick)(jnp.array([0.1, 0.9]))
"""


def test_vmap_shows_and_times_the_batched_program(capfd: pytest.CaptureFixture[str]) -> None:
    target, cell, ns = target_of(PICK, "pick")
    assert capfd.readouterr().out.count("small") == 2  # the cell's own call, once per element
    bundle = build(target, Options(), cell)
    original = bundle.views["original"]
    assert original.notes[0] == "the program that ran: jax.vmap(pick) on f32[2]"
    assert [(n.label, n.shape) for n in original.nodes if n.kind == "input"] == [("x", "(2,)")]
    # Batched, the cond became both branches and a select: no cond is left.
    assert "select_n" in original.ops()
    assert "cond" not in {s.kind for s in original.subgraphs}
    assert "conditional" not in bundle.views["optimized"].ops()
    devices = JaxFrontend().devices()
    row = JaxFrontend().time(target, Options(budget=0.2), devices, _clock())
    assert row.error is None and row.signature == "float32[2]"
    np.testing.assert_allclose(np.asarray(ns["out"]), [0.05, 1.8], rtol=1e-6)
    assert capfd.readouterr() == ("", "")  # tgraph's own calls print nothing


def _clock() -> object:
    import time

    return time.perf_counter


def test_jit_of_vmap_is_one_target_named_after_the_jitted_variable() -> None:
    src = """
    import jax
    import jax.numpy as jnp

    def f(x):
        return jnp.sin(x) * 2.0

    h = jax.jit(jax.vmap(f))
    out = h(jnp.ones((5, 3)))
    """
    ns, cell = run_cell(src)
    (target,) = targets(ns, cell)
    assert (target.name, target.aliases) == ("h", ["f"])
    bundle = build(target, Options(), cell)
    original = bundle.views["original"]
    assert original.notes[0] == "the program that ran: jax.jit(jax.vmap(f)) on f32[5,3]"
    assert [n.shape for n in original.nodes if n.kind == "input"] == ["(5, 3)"]


def test_a_jitted_function_called_inside_another_is_drawn_inside_it() -> None:
    src = """
    import jax
    import jax.numpy as jnp

    @jax.jit
    def inner(x):
        return jnp.sin(x)

    @jax.jit
    def outer(x):
        return inner(x) * 2.0

    outer(jnp.ones(3))
    """
    ns, cell = run_cell(src)
    (target,) = targets(ns, cell)
    assert (target.name, target.aliases) == ("outer", ["inner"])
    bundle = build(target, Options(), cell)
    [sub] = [s for s in bundle.views["original"].subgraphs if s.kind == "jit"]
    assert sub.label == "jit inner"
    # Named on its own, it is still a target with the shapes it was called with.
    (alone,) = JaxFrontend().targets({"inner": ns["inner"]}, cell)
    assert alone.args[0].shape == (3,)


def test_checkpoint_eager_and_under_grad() -> None:
    eager = """
    import jax
    import jax.numpy as jnp

    def f(x):
        return jnp.sin(jnp.sin(x)).sum()

    y = jax.checkpoint(f)(jnp.ones(3))
    """
    bundle, _ = build_one(eager, "f")
    original = bundle.views["original"]
    assert original.notes[0] == "the program that ran: jax.checkpoint(f) on f32[3]"
    assert [s.kind for s in original.subgraphs] == ["remat2"]
    under_grad = eager.replace("y = jax.checkpoint(f)", "y = jax.grad(jax.checkpoint(f))")
    bundle, _ = build_one(under_grad, "f")
    original = bundle.views["original"]
    assert original.notes[0] == ("the program that ran: jax.grad(jax.checkpoint(f)) on f32[3]")
    # The backward pass computes sin(x) again instead of saving it.
    assert original.ops().count("sin") == 3
    plain = eager.replace("y = jax.checkpoint(f)", "y = jax.grad(f)")
    assert build_one(plain, "f")[0].views["original"].ops().count("sin") == 2


def test_vjp_shows_the_inner_function_and_says_so_first() -> None:
    src = """
    import jax
    import jax.numpy as jnp

    def f(x):
        return jnp.tanh(x) * 3.0

    y, pull = jax.vjp(f, jnp.ones(4))
    """
    bundle, _ = build_one(src, "f")
    original = bundle.views["original"]
    assert original.notes[0] == "only the inner function f is shown: the cell ran it under jax.vjp"
    assert original.ops() == ["tanh", "mul"]
