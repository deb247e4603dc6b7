"""Timing, profiling and devices of JAX targets, through the frontend.

Cells tried: a static argument that is a registered pytree class holding
an array, and a static tuple (passed through as jit passes them, shown
with their values); ``donate_argnums`` with a JAX and with a NumPy
argument (each call gets a fresh copy, the user's array stays alive,
nothing reaches stderr); a function that flips the x64 flag.
"""

from __future__ import annotations

import itertools
import json
import os
import re
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from jax_cells import build, run_cell, target_of

from asked import automatic_requests, send, widgets
from conftest import run
from tgraph.devices import DeviceError, Devices
from tgraph.frontends.jax import JaxFrontend
from tgraph.protocol import CellInfo, Options, Target
from tgraph.timing import TimingError

KERNEL_EXT = str(Path(__file__).parents[4] / "kernel_ext")


@pytest.fixture(scope="module")
def devices() -> Devices:
    return JaxFrontend().devices()


def given(name: str, fun: Any, *args: Any, **kwargs: Any) -> Target:
    """A target as ``%%tgraph name(args)`` makes it: the magic evaluates the arguments."""
    target = JaxFrontend().target_for_call(name, fun)
    assert target is not None
    target.args, target.kwargs = args, kwargs
    return target


def timed(target: Target, devices: Devices, **options: Any) -> Any:
    return JaxFrontend().time(target, Options(**options), devices, time.perf_counter)


def test_a_complete_row_on_the_cpu(devices: Devices) -> None:
    f = jax.jit(lambda a, b: jnp.tanh(a @ b).sum())
    x = np.ones((64, 64), np.float32)
    result = timed(given("f", f, x, x), devices, device="cpu", budget=0.5)
    row = result.row()
    assert result.error is None
    assert (row["device"], row["backend"], row["framework"]) == ("cpu:0", "xla", "jax")
    assert row["compile_s"] > 0 and row["first_call_s"] > 0 and row["transfer_s"] >= 0
    assert row["calls"] == result.number * len(row["samples"]) > 0
    assert row["signature"] == "float32[64, 64], float32[64, 64]"
    assert result.input_devices == ["cpu:0", "cpu:0"] and result.output_devices == ["cpu:0"]
    assert result.on_device is True
    assert result.notes[-1] == "timed on the arguments given"


def test_a_function_never_called_needs_arguments(devices: Devices) -> None:
    target = JaxFrontend().target_for_call("f", jax.jit(jnp.sin))
    assert target is not None
    with pytest.raises(TimingError, match=r"e.g. %%tgraph f\(x\)"):
        timed(target, devices)


@pytest.mark.skipif(bool(JaxFrontend().devices().gpus), reason="this machine has a GPU")
def test_asking_for_a_gpu_without_one_gives_jax_own_reason(devices: Devices) -> None:
    with pytest.raises(RuntimeError) as raised:
        jax.devices("gpu")
    assert devices.gpus == [] and devices.gpu_reason == str(raised.value)
    with pytest.raises(DeviceError, match=r"^no GPU: Unknown backend: 'gpu' requested"):
        timed(given("f", jax.jit(jnp.sin), np.ones(3)), devices, device="gpu")


def test_errors_of_the_users_code_land_in_the_result(devices: Devices) -> None:
    src = """
    import jax
    import jax.numpy as jnp

    def f(a):
        return a @ a
    """
    ns, _ = run_cell(src)
    result = timed(given("f", ns["f"], np.ones((2, 3))), devices, device="cpu")
    assert result.error == (
        "JAX could not trace f: TypeError: dot_general requires contracting dimensions to "
        "have the same shape, got (3,) and (2,)."
    )
    assert result.calls == 0 and result.device == "cpu:0"


def test_made_up_inputs_have_the_recorded_shapes(devices: Devices) -> None:
    """The cell's array is gone (the call donated it): an input of its shape is made up."""
    target, _, _ = target_of(
        """
        import jax
        import jax.numpy as jnp
        f = jax.jit(lambda x, i: jnp.log(x).at[i].add(1.0), donate_argnums=0)
        f(jnp.ones((3, 5)), jnp.int32(2))
        """,
        "f",
    )
    result = timed(target, devices, budget=0.2)
    assert result.error is None and result.signature == "float32[3, 5], int32[]"
    assert result.notes[-1] == "timed on made-up inputs of the shapes the cell's call had"
    (x, i), _ = target.inputs
    assert x.dtype == np.float32 and x.shape == (3, 5) and x.min() >= 0.5 and x.max() < 1.5
    assert i.dtype == np.int32 and int(i) == 2  # the cell's own index, still alive
    again = timed(target, devices, budget=0.2)  # the same values every time
    assert again.error is None and target.inputs[0][0] is x


def sleepy(seconds: float, after: Callable[[int], None] = lambda _calls: None) -> Any:
    """A jitted function whose every call takes ``seconds`` on the host, then
    tells ``after`` how many calls there have been."""
    calls = itertools.count(1)

    def wait(x: np.ndarray) -> np.ndarray:
        time.sleep(seconds)
        after(next(calls))
        return x

    @jax.jit
    def f(x: jax.Array) -> jax.Array:
        return jax.pure_callback(wait, jax.ShapeDtypeStruct(x.shape, x.dtype), x) + 1

    return f


def test_a_slow_function_stops_within_the_budget(devices: Devices) -> None:
    begin = time.perf_counter()
    result = timed(given("slow", sleepy(0.05), np.ones(3, np.float32)), devices, budget=0.5)
    assert time.perf_counter() - begin < 5
    assert result.error is None, result.error
    assert result.budget_exhausted and not result.interrupted
    assert 1 <= result.calls < 20 and len(result.samples) == result.calls


def test_ctrl_c_returns_what_was_measured(devices: Devices) -> None:
    # Ctrl-C lands in the host callback (on the CPU, JAX runs it on the thread
    # that called), once a repeat has surely been kept: a call takes at least
    # 10 ms, so probing doubles the calls per repeat at most up to 16 (31 calls)
    # and the first kept repeat has at most 32. Raised here rather than sent as
    # a signal from another thread, where it lands is left to chance.
    def interrupt(calls: int) -> None:
        if calls == 100:
            raise KeyboardInterrupt

    target = given("slow", sleepy(0.01, interrupt), np.ones(3, np.float32))
    begin = time.perf_counter()
    result = timed(target, devices, budget=60)
    assert time.perf_counter() - begin < 30
    assert result.interrupted and not result.budget_exhausted
    assert result.first_call_s is not None and result.calls > 0


STATIC = """
import jax
import jax.numpy as jnp

class Box:
    def __init__(self, vals):
        self.vals = vals

jax.tree_util.register_pytree_node(Box, lambda b: ((b.vals,), None), lambda _, c: Box(*c))

read = jax.jit(lambda b: b.vals * 1.0, static_argnums=0)
box = Box(jnp.arange(3.0))
r = read(box)

scale = jax.jit(lambda t, x: x * t[0] + t[1], static_argnums=0)
s = scale((2.0, 3.0), jnp.ones(2))
"""


def test_static_pytree_arguments_pass_through_as_jit_passes_them(devices: Devices) -> None:
    target, cell, ns = target_of(STATIC, "read")
    assert target.args[0] is ns["box"]
    bundle = build(target, Options(), cell)
    assert bundle.info["call"] == "read(Box([0., 1., 2.]))"
    assert bundle.views["original"].ops() == ["mul"]
    result = timed(target, devices, budget=0.2)
    assert result.error is None and result.signature == "Box([0., 1., 2.])"
    assert result.compile_cached is True  # the very static object: the cell's executable
    tuple_target, cell, _ = target_of(STATIC, "scale")
    bundle = build(tuple_target, Options(), cell)
    assert bundle.info["call"] == "scale((2.0, 3.0), f32[2])"
    assert timed(tuple_target, devices, budget=0.2).signature == "(2.0, 3.0), float32[2]"


DONATE = """
import jax
import jax.numpy as jnp
import numpy as np

twice = jax.jit(lambda a: a * 2.0, donate_argnums=0)
res = twice(jnp.ones(4))
"""


@pytest.mark.parametrize("kind", ["jax", "numpy"])
def test_donated_arguments_get_a_fresh_copy_per_call(
    devices: Devices, capfd: pytest.CaptureFixture[str], kind: str
) -> None:
    ns, cell = run_cell(DONATE)
    capfd.readouterr()
    recorded = JaxFrontend().targets({"twice": ns["twice"]}, cell)[0]
    mine = jnp.arange(4.0) if kind == "jax" else np.arange(4.0, dtype=np.float32)
    for target in (recorded, given("twice", ns["twice"], mine)):
        result = timed(target, devices, budget=0.3)
        assert result.error is None, result.error
        assert result.calls > 1
        assert (
            "donated arguments are copied afresh for every call, outside the timing" in result.notes
        )
    if kind == "jax":
        assert not mine.is_deleted()
    np.testing.assert_array_equal(np.asarray(mine), [0.0, 1.0, 2.0, 3.0])
    assert capfd.readouterr() == ("", "")


def test_x64_flag_is_left_as_found_after_a_function_flips_it(devices: Devices) -> None:
    before = jax.config.values["jax_enable_x64"]
    jax.config.update("jax_enable_x64", False)
    try:
        src = """
        import jax
        import jax.numpy as jnp

        def flips(x):
            jax.config.update("jax_enable_x64", True)  # as PyTensor's JAX backend does
            return x * 2
        """
        ns, cell = run_cell(src)
        target = given("flips", ns["flips"], np.ones(2, np.float32))
        build(target, Options(), cell)
        assert jax.config.values["jax_enable_x64"] is False
        assert timed(target, devices, budget=0.1).error is None
        assert jax.config.values["jax_enable_x64"] is False
    finally:
        jax.config.update("jax_enable_x64", before)


def test_profile_keys_are_node_ids_of_the_optimized_view(devices: Devices) -> None:
    f = jax.jit(lambda a: jnp.tanh(a @ a).sum() + jnp.exp(a).mean())
    target = given("f", f, np.ones((128, 128), np.float32))
    bundle = build(target, Options(), CellInfo(code=""))
    optimized = bundle.views["optimized"]
    result = JaxFrontend().profile(target, Options(budget=0.3), devices)
    assert result.view == "optimized" and result.entries, result.notes
    # no device named: where JAX runs by default, the device the optimized view was built for
    assert result.calls > 0 and result.device == f"{jax.default_backend()}:0"
    assert sum(e.fraction for e in result.entries) == pytest.approx(1.0)
    ids = {n.id: n.name for n in optimized.nodes} | {
        s.id: s.attrs["hlo"] for s in optimized.subgraphs if "hlo" in s.attrs
    }
    assert set(result.colours()) <= set(ids)
    hlo = set(re.findall(r"%([\w.\-]+) = ", bundle.info["hlo"]))
    for entry in result.entries:
        assert entry.label == ids[entry.key] and entry.label in hlo


def run_with_two_cpus(code: str) -> Any:
    """Run ``code`` in a fresh Python whose JAX sees two CPU devices; its JSON."""
    env = dict(os.environ, XLA_FLAGS="--xla_force_host_platform_device_count=2")
    env["PYTHONPATH"] = os.pathsep.join([KERNEL_EXT, env.get("PYTHONPATH", "")])
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_two_cpu_devices_are_indexed_and_timed_where_asked() -> None:
    rows = run_with_two_cpus(
        """
        import json, time
        import numpy as np, jax, jax.numpy as jnp
        from tgraph.protocol import Options
        from tgraph.frontends.jax import JaxFrontend
        frontend = JaxFrontend()
        devices = frontend.devices()
        f = jax.jit(lambda a: jnp.sin(a).sum())
        x = jax.device_put(np.ones(50, np.float32), devices.resolve("cpu:0").handle)
        target = frontend.target_for_call("f", f)
        target.args, target.kwargs = (x,), {}
        rows = [[d.name for d in devices.cpus]]
        for spec in ("cpu:0", "cpu:1"):
            r = frontend.time(target, Options(device=spec, budget=0.2), devices, time.perf_counter)
            rows.append([r.device, r.error, r.on_device, r.input_devices, r.output_devices])
        print(json.dumps(rows))
        """
    )
    assert rows == [
        ["cpu:0", "cpu:1"],
        ["cpu:0", None, True, ["cpu:0"], ["cpu:0"]],
        ["cpu:1", None, True, ["cpu:1"], ["cpu:1"]],
    ]


@pytest.mark.gpu
@pytest.mark.skipif(not JaxFrontend().devices().gpus, reason="needs a GPU that JAX can see")
def test_the_same_target_on_cpu_and_gpu(devices: Devices) -> None:
    f = jax.jit(lambda a: jnp.tanh(a @ a).sum())
    target = given("f", f, np.ones((256, 256), np.float32))
    cpu = timed(target, devices, device="cpu", budget=0.5)
    gpu = timed(target, devices, device="gpu", budget=0.5)
    assert (cpu.device, gpu.device) == ("cpu:0", "gpu:0")
    assert cpu.error is None and gpu.error is None
    assert gpu.on_device and set(gpu.output_devices) == {"gpu:0"}
    profile = JaxFrontend().profile(target, Options(device="gpu", budget=0.3), devices)
    assert profile.device == "gpu:0" and profile.entries


def test_the_host_cpu_is_always_there(devices: Devices) -> None:
    assert [d.name for d in devices.cpus] == ["cpu:0"]
    assert devices.resolve("CPU:0") is devices.cpus[0]
    assert devices.cpus[0].handle is jax.devices("cpu")[0]
    assert devices.backends == {}


DONATING_DEFINITIONS = """
import numpy as np
import jax
import jax.numpy as jnp
params = {"w": jnp.ones((3, 2)), "b": jnp.zeros(2)}
xb = jnp.arange(6.0).reshape(2, 3)
def loss(p, x):
    return ((x @ p["w"] + p["b"]) ** 2).sum()
def sgd(p, x):
    g = jax.grad(loss)(p, x)
    return jax.tree_util.tree_map(lambda a, b: a - 0.01 * b, p, g)
"""
DONATING_STEP = (
    "sgd_donating = jax.jit(sgd, donate_argnums=0)\nnew_params = sgd_donating(params, xb)\n"
)


def _after_the_step(shell: Any) -> tuple[bool, dict[str, Any], str]:
    """Whether the donated argument is gone, the new parameters, and what
    calling the step on the donated argument again says."""
    ns = shell.user_ns
    kept = {k: np.asarray(v).tolist() for k, v in ns["new_params"].items()}
    again = run(shell, "sgd_donating(params, xb)")
    said = "" if again.error is None else type(again.error).__name__
    return ns["params"]["w"].is_deleted(), kept, said


def test_timing_a_donating_step_leaves_the_users_arrays_as_the_plain_notebook(shell: Any) -> None:
    run(shell, DONATING_DEFINITIONS)
    assert run(shell, DONATING_STEP).error is None
    plain = _after_the_step(shell)
    run(shell, DONATING_DEFINITIONS)
    (widget,) = widgets(run(shell, "%%tgraph --budget 0.1\n" + DONATING_STEP))
    automatic_requests(widget)
    send(widget, {"type": "profile"})
    (row,) = widget.timings
    assert row["error"] is None and row["calls"] > 10
    assert _after_the_step(shell) == plain
    later = run(shell, "sgd_donating(new_params, xb)['w'].shape")
    assert later.error is None and later.result == (3, 2)
