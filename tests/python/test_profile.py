"""Per-node profiles: real PyTensor (C VM) and JAX (XLA trace) runs."""

from __future__ import annotations

import re

import jax
import jax.numpy as jnp
import numpy as np
import pytensor
import pytensor.tensor as pt
import pytest

from tgraph.devices import Devices, discover
from tgraph.frontends import CellInfo, Options, Target
from tgraph.frontends.pytensor import PyTensorFrontend
from tgraph.profile import profile_target
from tgraph.timing import TimingError


@pytest.fixture(scope="module")
def devices() -> Devices:
    return discover()


def test_pytensor_profile_keys_are_the_optimized_views_op_texts(devices: Devices) -> None:
    if not devices.backends["cvm"].available:
        pytest.skip(devices.backends["cvm"].reason)
    x = pt.matrix("x")
    w = pytensor.shared(np.ones(4), name="w")
    frontend = PyTensorFrontend()
    with frontend.observe():
        f = pytensor.function(
            [x], (pt.exp(x) @ x).sum() + pt.log1p(x).mean(), updates={w: w + 1}, mode="CVM"
        )
    target = frontend.targets({"f": f}, CellInfo(""))[0]
    result = profile_target(target, Options(size=50, budget=0.3), devices)
    assert result.backend == "cvm" and result.timed_backend == "cvm" and not result.notes
    assert result.calls > 0 and result.total_s > 0
    assert sum(e.fraction for e in result.entries) == pytest.approx(1.0)
    assert [e.seconds for e in result.entries] == sorted(
        (e.seconds for e in result.entries), reverse=True
    )
    optimized = frontend.build(target, Options(), CellInfo("")).views["optimized"]
    ops = {n.op for n in optimized.nodes if n.kind == "op"}
    assert set(result.colours()) <= ops
    np.testing.assert_array_equal(w.get_value(), np.ones(4))


def test_pytensor_profile_says_it_comes_from_the_c_vm(devices: Devices) -> None:
    if not devices.backends["cvm"].available:
        pytest.skip(devices.backends["cvm"].reason)
    x = pt.vector("x")
    result = profile_target(Target("y", "pytensor", pt.exp(x).sum()), Options(budget=0.2), devices)
    assert result.timed_backend == "numba"
    assert "from the C VM" in result.notes[0]
    assert result.top(1)[0].fraction == max(result.colours().values())


def test_a_function_without_its_graph_cannot_be_profiled(devices: Devices) -> None:
    x = pt.vector("x")
    f = pytensor.function([x], x * 2)
    with pytest.raises(TimingError, match="compiled outside %%tgraph"):
        profile_target(Target("f", "pytensor", f), Options(), devices)


def test_jax_profile_names_hlo_instructions(devices: Devices) -> None:
    f = jax.jit(lambda a: jnp.tanh(a @ a).sum() + jnp.exp(a).mean())
    x = np.ones((128, 128), np.float32)
    result = profile_target(Target("f", "jax", f, args=(x,)), Options(budget=0.3), devices)
    assert result.entries, result.notes
    assert result.calls > 0 and result.device == "cpu:0"
    assert sum(e.fraction for e in result.entries) == pytest.approx(1.0)
    hlo = f.lower(x).compile().as_text()
    names = set(re.findall(r"%([\w.\-]+) = ", hlo))
    assert set(result.colours()) <= names
    assert len(result.to_json(2)["top"]) <= 2
