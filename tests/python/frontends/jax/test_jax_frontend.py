"""The JAX frontend's views of real JAX functions, run as if they were notebook cells."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import jax
import pytest
from jax_cells import build, build_one, line_of, run_cell, targets

from tgraph.frontends.jax import JaxFrontend
from tgraph.protocol import Options, Target, TraceError
from tgraph.structure import GROUP_KINDS

LOGISTIC = """
import jax
import jax.numpy as jnp

@jax.jit
def logistic(x):
    neg = -x
    e = jnp.exp(neg)
    d = 1 + e
    return 1 / d

out = logistic(jnp.array([[0.0, 1.0], [-1.0, -2.0]]))
"""


def test_logistic_compiles_to_one_loop_fusion_mapped_to_lines() -> None:
    bundle, cell = build_one(LOGISTIC, "logistic")
    opt = bundle.views["optimized"]
    fusions = [s for s in opt.subgraphs if s.kind == "fusion"]
    assert len(fusions) == 1
    assert fusions[0].attrs["fusion_kind"] == "kLoop"
    fused = {n.op: n for n in opt.nodes if n.parent == fusions[0].id and n.kind == "op"}
    assert {"negate", "exponential", "add", "divide"} <= set(fused)
    expected = {"negate": "neg = -x", "exponential": "jnp.exp", "add": "1 + e", "divide": "1 / d"}
    original = bundle.views["original"]
    for op, text in expected.items():
        node = fused[op]
        assert node.source is not None and node.source.line == line_of(cell, text), op
        linked = [original.node(i) for i in node.attrs["jaxpr"].split(",")]
        assert all(n.source and n.source.line == node.source.line for n in linked)
    assert "stablehlo.exponential" in bundle.info["stablehlo"]
    assert bundle.info["cost"]["transcendentals"] == 4
    [note] = [n for n in opt.notes if n.startswith("XLA cost analysis")]
    assert "4 transcendentals" in note and "memory:" in note
    assert bundle.info["memory"]["argument"] == 16


def test_original_view_has_inputs_ops_and_outputs() -> None:
    bundle, _ = build_one(LOGISTIC, "logistic")
    g = bundle.views["original"]
    assert [n.label for n in g.nodes if n.kind == "input"] == ["x"]
    assert g.ops() == ["neg", "exp", "add", "div"]
    assert [n.kind for n in g.nodes].count("output") == 1
    assert len({n.id for n in g.nodes}) == len(g.nodes)
    assert g.node("n1").source is not None and g.node("n1").source.text == "neg = -x"


def test_gradient_of_sum_sigmoid_is_dead_code_free_and_tagged() -> None:
    src = """
    import jax
    import jax.numpy as jnp

    def loss(x):
        s = 1 / (1 + jnp.exp(-x))
        return jnp.sum(s)

    g = jax.grad(loss)(jnp.ones(3))
    """
    bundle, _ = build_one(src, "loss")
    grad = bundle.views["gradient"]
    forward = [n.op for n in grad.nodes if "forward" in n.tags]
    backward = [n.op for n in grad.nodes if "backward" in n.tags]
    assert {"neg", "exp", "add"} <= set(forward)
    assert backward and "mul" in backward
    # The primal value (1/d) and the sum are dead in the gradient.
    assert "div" not in forward and "reduce_sum" not in forward
    assert any("residual" in e.tags for e in grad.edges)
    assert grad.notes[0] == (
        "the cell ran jax.grad(loss): this is that gradient, its forward and backward passes "
        "told apart"
    )
    assert grad.notes[1].startswith("gradient with respect to argument 0 (x); ")
    assert not grad.notes[1].startswith("gradient with respect to argument 0 (x); 0 dead")
    assert grad.notes[-1] == (
        "checked against jax.grad at made-up inputs of the shapes the cell's call had"
    )
    # The original view is the program the cell ran: jax.grad(loss), not loss.
    original = bundle.views["original"]
    assert original.notes[0] == "the program that ran: jax.grad(loss) on f32[3]"
    assert original.nodes[-1].shape == "(3,)"


def test_non_scalar_output_is_summed_and_said() -> None:
    bundle, _ = build_one(LOGISTIC, "logistic")
    notes = " ".join(bundle.views["gradient"].notes)
    assert "not a scalar" in notes and "sum" in notes


CONTROL_FLOW = """
import jax
import jax.numpy as jnp
from jax import lax

@jax.custom_jvp
def softplus(x):
    return jnp.log1p(jnp.exp(x))

softplus.defjvp(lambda p, t: (softplus(p[0]), t[0] * jax.nn.sigmoid(p[0])))

@jax.jit
def inner(x):
    return jnp.sin(x)

@jax.jit
def flow(x):
    def step(c, xi):
        return c * 0.5 + jnp.tanh(xi), c
    c, ys = lax.scan(step, 0.0, x)
    d = lax.cond(c > 0, jnp.cos, jnp.sin, c)
    w = lax.while_loop(lambda v: v < 10.0, lambda v: v * 2.0 + 1.0, d)
    return softplus(w) + inner(ys).sum()

flow(jnp.arange(4.0))
"""


def test_control_flow_and_nested_calls_are_subgraphs() -> None:
    bundle, cell = build_one(CONTROL_FLOW, "flow")
    g = bundle.views["original"]
    kinds = {s.kind for s in g.subgraphs}
    assert {"scan", "cond", "while", "custom_jvp_call", "jit"} <= kinds
    by_kind = {s.kind: s for s in g.subgraphs}
    scan_ops = [n.op for n in g.nodes if n.parent == by_kind["scan"].id and n.kind == "op"]
    assert "tanh" in scan_ops
    scan_line = line_of(cell, "jnp.tanh(xi)")
    assert any(n.source and n.source.line == scan_line for n in g.nodes if n.op == "tanh")
    branches = [s for s in g.subgraphs if s.parent == by_kind["cond"].id]
    assert len(branches) == 2
    branch_ops = {n.op for n in g.nodes if n.parent in {b.id for b in branches}}
    assert {"cos", "sin"} <= branch_ops
    loop_parts = {s.label for s in g.subgraphs if s.parent == by_kind["while"].id}
    assert loop_parts == {"cond_jaxpr", "body_jaxpr"}
    jit_ops = [n.op for n in g.nodes if n.parent == by_kind["jit"].id]
    assert "sin" in jit_ops
    # Inner ids are prefixed with their inner graph's id (the groups that
    # follow the program's structure are not inner graphs), and unique.
    subs = {s.id: s for s in g.subgraphs}

    def container(item: str | None) -> str | None:
        while item is not None and subs[item].kind in GROUP_KINDS:
            item = subs[item].parent
        return item

    inner = [(n, container(n.parent)) for n in g.nodes]
    assert all(n.id.startswith(c + "/") for n, c in inner if c is not None)
    assert len({n.id for n in g.nodes}) == len(g.nodes)


def test_x64_flag_is_left_as_found() -> None:
    before = jax.config.values["jax_enable_x64"]
    src = """
    import jax
    import jax.numpy as jnp

    @jax.jit
    def flips(x):
        jax.config.update("jax_enable_x64", True)  # as PyTensor's JAX backend does
        return x * 2

    flips(jnp.ones(2))
    jax.config.update("jax_enable_x64", False)
    """
    ns, cell = run_cell(src)
    jax.config.update("jax_enable_x64", before)
    (target,) = [t for t in targets(ns, cell) if t.name == "flips"]
    build(target, Options(), cell)
    assert jax.config.values["jax_enable_x64"] == before


def test_x64_flag_after_pytensor_jax_function() -> None:
    pytensor = pytest.importorskip("pytensor")
    pt = pytest.importorskip("pytensor.tensor")
    before = jax.config.values["jax_enable_x64"]
    x = pt.vector("x")
    fn = pytensor.function([x], pt.exp(x), mode="JAX")
    jax_fn = fn.vm.jit_fn if hasattr(fn.vm, "jit_fn") else None
    jax.config.update("jax_enable_x64", before)
    if jax_fn is None:
        pytest.skip("this PyTensor has no jitted JAX function on its VM")
    src = """
    import jax.numpy as jnp
    def via_pytensor(x):
        return jax_fn(x)[0]
    """
    ns, cell = run_cell(src, namespace={"jax_fn": jax_fn})
    target = Target("via_pytensor", "jax", ns["via_pytensor"], args=(jnp_ones(3),), kwargs={})
    bundle = build(target, Options(), cell)
    assert "exp" in bundle.views["original"].ops() or bundle.views["original"].subgraphs
    assert jax.config.values["jax_enable_x64"] == before


def jnp_ones(n: int) -> Any:
    return jax.numpy.ones(n)


def test_untraceable_function_raises_trace_error_naming_it() -> None:
    src = """
    import jax
    import jax.numpy as jnp

    def branchy(x):
        if x.sum() > 0:
            return x
        return -x

    jax.grad(lambda v: branchy(v).sum())
    out = jax.vmap(lambda v: v)(jnp.ones((2, 2)))
    """
    ns, cell = run_cell(src)
    target = Target("branchy", "jax", ns["branchy"], args=(jax.numpy.ones(3),), kwargs={})
    with pytest.raises(TraceError, match=r"branchy.*(Concretization|TracerBool)"):
        build(target, Options(), cell)


def test_function_called_with_python_scalars_only() -> None:
    src = """
    import jax

    @jax.jit
    def scale(a, b):
        return a * b + 1.0

    scale(2.0, 3.0)
    """
    bundle, _ = build_one(src, "scale")
    inputs = [n for n in bundle.views["original"].nodes if n.kind == "input"]
    assert [(n.dtype, n.shape) for n in inputs] == [("float32", "()"), ("float32", "()")]
    assert "weakly typed" in " ".join(bundle.views["original"].notes)
    assert bundle.views["gradient"].ops()


def test_plain_scalar_loop_bound_becomes_static() -> None:
    src = """
    import jax
    import jax.numpy as jnp

    def power(x, n):
        for _ in range(n):
            x = x * x
        return x

    jax.grad(power)(2.0, 3)
    """
    bundle, _ = build_one(src, "power")
    original = bundle.views["original"]
    # jax.grad(power) ran: three squarings forward, two products each backward.
    assert original.ops().count("mul") == 9
    assert original.notes[0] == "the program that ran: jax.grad(power) on 2.0, 3"
    assert original.notes[-1] == "Python scalar arguments 1 were needed as constants to trace."


def test_integer_wrt_is_reported_not_raised() -> None:
    src = """
    import jax
    import jax.numpy as jnp

    @jax.jit
    def take(x, i):
        return x[i] * 2.0

    take(jnp.ones(4), jnp.int32(1))
    """
    bundle, _ = build_one(src, "take", wrt=["1"])
    notes = " ".join(bundle.views["gradient"].notes)
    assert "not floating point" in notes
    assert not bundle.views["gradient"].nodes


def test_targets_are_traced_functions_only_with_last_call_shapes() -> None:
    src = """
    import jax
    import jax.numpy as jnp

    def plain(x):
        return x + 1

    def mapped(v):
        return v * 2

    @jax.jit
    def f(x):
        return x + 1

    g = jax.jit(mapped)
    f(jnp.ones(2))
    f(jnp.ones((3, 5)))
    jax.vmap(mapped)(jnp.ones((7, 4)))
    """
    ns, cell = run_cell(src)
    found = {t.name: t for t in targets(ns, cell)}
    assert "plain" not in found and "jnp" not in found and "jax" not in found
    assert found["f"].args[0].shape == (3, 5)
    # mapped ran under vmap over all 7 rows of 4; g is the same function.
    assert found["mapped"].args[0].shape == (7, 4)
    assert found["mapped"].aliases == ["g"]


def test_cell_that_imports_jax_falls_back_to_the_jit_cache() -> None:
    src = """
    import jax
    import jax.numpy as jnp
    from functools import partial

    @partial(jax.jit, static_argnums=1)
    def rep(x, n):
        return jnp.tile(x, n)

    rep(jnp.ones(3), 2)
    """
    ns, cell = run_cell(src, observe=False)
    (target,) = [t for t in targets(ns, cell) if t.name == "rep"]
    assert target.args is not None and target.args[1] == 2
    assert target.args[0].shape == (3,)
    bundle = build(target, Options(), cell)
    assert "tile" in bundle.info["call"] or bundle.views["original"].ops()


def test_uncalled_jitted_function_asks_for_arguments() -> None:
    src = """
    import jax
    @jax.jit
    def never(x):
        return x
    """
    ns, cell = run_cell(src)
    (target,) = [t for t in targets(ns, cell) if t.name == "never"]
    with pytest.raises(TraceError, match=r"never.*not called"):
        build(target, Options(), cell)


def test_no_extra_compile_of_the_users_function() -> None:
    src = """
    import jax
    import jax.numpy as jnp

    @jax.jit
    def once(x):
        return jnp.sin(x) * 2

    once(jnp.ones(5))
    """
    ns, cell = run_cell(src)
    (target,) = [t for t in targets(ns, cell) if t.name == "once"]
    before = ns["once"]._cache_size()
    build(target, Options(), cell)
    assert ns["once"]._cache_size() == before


def test_device_flag_is_not_set_globally_and_cpu_index_works() -> None:
    assert "xla_force_host_platform_device_count" not in os.environ.get("XLA_FLAGS", "")
    script = textwrap.dedent(
        """
        import linecache, jax, jax.numpy as jnp
        from tgraph.protocol import CellInfo, Options, Target
        from tgraph.frontends.jax import JaxFrontend
        f = jax.jit(lambda x: jnp.cos(x) + 1)
        t = Target("f", "jax", f, args=(jnp.ones(3),), kwargs={})
        traced = JaxFrontend().trace(t, Options(device="cpu:1"), CellInfo(code=""))
        traced.build_all()
        print(traced.errors, traced.bundle.info["device"])
        """
    )
    env = dict(os.environ, XLA_FLAGS="--xla_force_host_platform_device_count=2")
    root = Path(__file__).resolve().parents[3]
    env["PYTHONPATH"] = str(root / "kernel_ext")
    out = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "{} cpu:1"
    assert "xla_force_host_platform_device_count" not in os.environ.get("XLA_FLAGS", "")


def test_missing_device_is_a_trace_error() -> None:
    bundle_src = LOGISTIC
    ns, cell = run_cell(bundle_src)
    (target,) = [t for t in targets(ns, cell) if t.name == "logistic"]
    with pytest.raises(TraceError, match="cpu:7"):
        build(target, Options(device="cpu:7"), cell)


def test_the_cell_gets_the_jaxpr_and_a_small_functions_compiled_program() -> None:
    ns, cell = run_cell(LOGISTIC)
    (target,) = targets(ns, cell)
    traced = JaxFrontend().trace(target, Options(), cell)
    assert traced.pending() == ["gradient"]
    assert traced.later["gradient"].task == "differentiating"
    assert traced.bundle.views["optimized"].notes[1] == (
        "the executable the cell's own call compiled (found in JAX's compile cache)"
    )
    offers = traced.offers.to_json()
    assert offers["views"] == [
        {"name": "original", "title": "Original"},
        {"name": "optimized", "title": "Optimized (XLA)"},
        {"name": "gradient", "title": "Gradient"},
    ]
    assert (offers["rewrites"], offers["stepper"], offers["timing"]) == (False, False, True)
    assert offers["texts"] == [{"key": "stablehlo", "title": "StableHLO"}]
    assert offers["backend_label"] == "XLA"


def chain(name: str, steps: int) -> str:
    """A jitted function of ``3 * steps + 1`` equations, called once."""
    return f"""
    import jax
    import jax.numpy as jnp

    @jax.jit
    def {name}(x):
        for _ in range({steps}):
            x = jnp.sin(x) * 1.01 + 0.5
        return x.sum()

    {name}(jnp.ones(8))
    """


def test_a_big_function_leaves_compiling_and_differentiating_for_later() -> None:
    src = chain("big", 70)
    ns, cell = run_cell(src)
    (target,) = targets(ns, cell)
    traced = JaxFrontend().trace(target, Options(), cell)
    assert traced.bundle.info["equations"] == 211
    assert list(traced.bundle.views) == ["original"]
    assert {v: lazy.task for v, lazy in traced.later.items()} == {
        "optimized": "compiling with XLA",
        "gradient": "differentiating",
    }
    assert traced.build("optimized") and "stablehlo" in traced.bundle.info
    assert traced.pending() == ["gradient"]


def test_a_huge_function_is_drawn_after_the_cell_and_its_hlo_links_back() -> None:
    src = chain("huge", 110)
    ns, cell = run_cell(src)
    (target,) = targets(ns, cell)
    traced = JaxFrontend().trace(target, Options(), cell)
    assert traced.bundle.info["equations"] == 331
    assert traced.bundle.views == {}
    assert {v: lazy.task for v, lazy in traced.later.items()} == {
        "original": "drawing",
        "optimized": "compiling with XLA",
        "gradient": "differentiating",
    }
    assert traced.build("optimized") and traced.errors == {}
    original = traced.bundle.views["original"]
    assert sum(1 for n in original.nodes if n.kind == "op") == 331
    assert original.notes == ["traced as huge(f32[8])"]
    # the compiled view's instructions point at the equations drawn on the way
    ids = {n.id for n in original.nodes}
    linked = [n.attrs.get("jaxpr", "").split(",") for n in traced.bundle.views["optimized"].nodes]
    linked = [found for found in linked if found != [""]]
    assert linked and all(i in ids for found in linked for i in found)
