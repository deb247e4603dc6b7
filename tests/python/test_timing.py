"""Timing real PyTensor and JAX functions: complete rows, user state untouched.

No test asserts a speed: only that results are complete and say where they
ran, and (loosely) that a budget bounds the time spent.
"""

from __future__ import annotations

import os
import signal
import threading
import time
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
import pytensor
import pytensor.tensor as pt
import pytest

from test_devices import run_with_two_cpus
from tgraph.devices import DeviceError, Devices, discover
from tgraph.frontends import CellInfo, Options, Target
from tgraph.frontends.pytensor import PyTensorFrontend
from tgraph.timing import TimingError, measure, options_for, time_target

ROW_KEYS = {
    "device", "backend", "compile_s", "first_call_s", "median_s", "iqr_s", "min_s", "calls",
    "transfer_s", "signature", "samples", "interrupted", "budget_exhausted",
}  # fmt: skip


@pytest.fixture(scope="module")
def devices() -> Devices:
    return discover()


def compiled_in_cell(**named: Any) -> dict[str, Target]:
    """Targets as the magic gets them: ``function`` called while the frontend observes."""
    frontend = PyTensorFrontend()
    return {t.name: t for t in frontend.targets(named, CellInfo(""))}


def sleepy(seconds: float) -> Any:
    """A jitted function whose every call takes ``seconds`` on the host."""

    def wait(x: np.ndarray) -> np.ndarray:
        time.sleep(seconds)
        return x

    @jax.jit
    def f(x: jax.Array) -> jax.Array:
        return jax.pure_callback(wait, jax.ShapeDtypeStruct(x.shape, x.dtype), x) + 1

    return f


def test_jax_on_the_cpu_gives_a_complete_row(devices: Devices) -> None:
    f = jax.jit(lambda a, b: jnp.tanh(a @ b).sum())
    x = np.ones((64, 64), np.float32)
    result = time_target(Target("f", "jax", f, args=(x, x)), Options(budget=0.5), devices)
    row = result.row()
    assert set(row) >= ROW_KEYS
    assert result.error is None
    assert (row["device"], row["backend"]) == ("cpu:0", "xla")
    assert row["compile_s"] > 0 and row["first_call_s"] > 0 and row["transfer_s"] >= 0
    assert row["calls"] == sum([result.number] * len(row["samples"])) > 0
    assert row["min_s"] <= row["median_s"] and row["iqr_s"] >= 0
    assert row["signature"] == "float32[64, 64], float32[64, 64]"
    assert result.input_devices == ["cpu:0", "cpu:0"] and result.output_devices == ["cpu:0"]
    assert result.on_device is True


def test_a_jax_function_needs_arguments(devices: Devices) -> None:
    with pytest.raises(TimingError, match=r"e.g. %%tgraph f\(x\)"):
        time_target(Target("f", "jax", jax.jit(jnp.sin)), Options(), devices)


@pytest.mark.skipif(bool(discover().gpus), reason="this machine has a GPU")
def test_asking_for_a_gpu_without_one_is_a_clear_error(devices: Devices) -> None:
    target = Target("f", "jax", jax.jit(jnp.sin), args=(np.ones(3),))
    with pytest.raises(DeviceError, match=r"^no GPU: Unknown backend: 'gpu' requested"):
        time_target(target, Options(device="gpu"), devices)
    x = pt.vector("x")
    with pytest.raises(DeviceError, match=r"^no GPU: "):
        time_target(Target("y", "pytensor", pt.exp(x)), Options(device="gpu"), devices)


@pytest.mark.parametrize("backend", ["numba", "cvm", "jax"])
def test_pytensor_backends_with_shared_updates_leave_state_alone(
    devices: Devices, backend: str
) -> None:
    if not devices.backends[backend].available:
        pytest.skip(devices.backends[backend].reason)
    x = pt.vector("x")
    w = pytensor.shared(np.arange(3.0), name="w")
    count = pytensor.shared(np.int64(0), name="count")
    with PyTensorFrontend().observe():
        y = (pt.exp(x) * w.sum()).sum()
        f = pytensor.function([x], y, updates={w: w * 2, count: count + 1})
    targets = compiled_in_cell(f=f)
    x64 = jax.config.jax_enable_x64
    result = time_target(targets["f"], Options(backend=backend, budget=0.3), devices)
    assert result.error is None, result.error
    assert result.backend == backend and result.device == "cpu:0"
    assert result.calls > 0 and result.compile_s is not None
    assert result.signature == "x: float64[100]"
    assert isinstance(w.get_value(borrow=True), np.ndarray)
    np.testing.assert_array_equal(w.get_value(), np.arange(3.0))
    assert count.get_value() == 0
    assert jax.config.jax_enable_x64 == x64
    if backend == "jax":
        assert result.on_device and set(result.output_devices) == {"cpu:0"}


def test_made_up_inputs_follow_static_shapes_and_size(devices: Devices) -> None:
    x = pt.tensor("x", shape=(None, 3), dtype="float32")
    i = pt.lscalar("i")
    y = pt.log(x)[i].sum()
    result = time_target(Target("y", "pytensor", y), Options(size=7, budget=0.2), devices)
    assert result.error is None, result.error
    assert result.signature == "i: int64[], x: float32[7, 3]"
    assert np.isfinite(result.median_s)


def test_given_arguments_are_used(devices: Devices) -> None:
    x = pt.vector("x")
    target = Target("y", "pytensor", x.sum(), args=(np.ones(5),))
    result = time_target(target, Options(budget=0.2), devices)
    assert result.signature == "x: float64[5]"


def test_a_function_compiled_before_keeps_its_backend(devices: Devices) -> None:
    x = pt.vector("x")
    w = pytensor.shared(np.ones(2), name="w")
    f = pytensor.function([x], x.sum() + w.sum(), updates={w: w + 1})  # not observed
    target = Target("f", "pytensor", f)
    result = time_target(target, Options(budget=0.2), devices)
    assert result.error is None and result.compile_s is None and result.calls > 0
    assert "without its compile time" in result.notes[0]
    np.testing.assert_array_equal(w.get_value(), np.ones(2))
    with pytest.raises(TimingError, match="can be timed with numba only"):
        time_target(target, Options(backend="jax"), devices)


def test_jax_x64_flag_is_restored(devices: Devices) -> None:
    before = jax.config.jax_enable_x64
    jax.config.update("jax_enable_x64", False)  # JAX's default, whatever ran before
    try:
        x = pt.dvector("x")
        options = Options(backend="jax", budget=0.2)
        result = time_target(Target("y", "pytensor", pt.exp(x)), options, devices)
        assert result.error is None, result.error
        assert not jax.config.jax_enable_x64
    finally:
        jax.config.update("jax_enable_x64", before)


def test_errors_of_the_users_code_land_in_the_result(devices: Devices) -> None:
    f = jax.jit(lambda a: a @ a)
    result = time_target(Target("f", "jax", f, args=(np.ones((2, 3)),)), Options(), devices)
    assert result.error and "TypeError" in result.error
    assert result.calls == 0


def test_a_slow_function_stops_within_the_budget(devices: Devices) -> None:
    target = Target("slow", "jax", sleepy(0.05), args=(np.ones(3, np.float32),))
    begin = time.perf_counter()
    result = time_target(target, Options(budget=0.5), devices)
    assert time.perf_counter() - begin < 5
    assert result.error is None, result.error
    assert result.budget_exhausted and not result.interrupted
    assert 1 <= result.calls < 20 and len(result.samples) == result.calls


def test_ctrl_c_returns_what_was_measured(devices: Devices) -> None:
    target = Target("slow", "jax", sleepy(0.01), args=(np.ones(3, np.float32),))
    alarm = threading.Timer(1.0, os.kill, (os.getpid(), signal.SIGINT))
    begin = time.perf_counter()
    alarm.start()
    try:
        result = time_target(target, Options(budget=60), devices)
    finally:
        alarm.cancel()
    assert time.perf_counter() - begin < 30
    assert result.interrupted and not result.budget_exhausted
    assert result.first_call_s is not None and result.calls > 0
    assert result.row()["median_s"] is not None


def test_measure_stops_on_ctrl_c_between_calls() -> None:
    f = jax.jit(jnp.cos)
    x = jnp.ones(3)
    calls = 0

    def call() -> Any:
        nonlocal calls
        calls += 1
        if calls == 500:
            raise KeyboardInterrupt
        return f(x)

    measured = measure(call, budget=30, sync=jax.block_until_ready)
    assert measured.interrupted and measured.first_call_s is not None
    assert measured.calls <= calls


def test_device_switching_on_two_cpu_devices() -> None:
    rows = run_with_two_cpus(
        """
        import json
        import numpy as np, jax, jax.numpy as jnp, pytensor.tensor as pt
        from tgraph.devices import discover
        from tgraph.frontends import Options, Target
        from tgraph.timing import time_target
        devices = discover()
        f = jax.jit(lambda a: jnp.sin(a).sum())
        x = jax.device_put(np.ones(50, np.float32), devices.resolve("cpu:0").handle)
        rows = []
        for spec in ("cpu:0", "cpu:1"):
            for target in (Target("f", "jax", f, args=(x,)),
                           Target("y", "pytensor", pt.exp(pt.vector("v")).sum())):
                r = time_target(target, Options(device=spec, budget=0.2), devices)
                rows.append({k: r.row()[k] for k in ("device", "backend", "error", "on_device",
                             "input_devices", "output_devices", "calls")})
        print(json.dumps(rows))
        """
    )
    assert [r["device"] for r in rows] == ["cpu:0", "cpu:0", "cpu:1", "cpu:1"]
    assert [r["backend"] for r in rows] == ["xla", "numba", "xla", "jax"]
    for row in rows:
        assert row["error"] is None and row["calls"] > 0
    for row in rows[2:]:
        assert row["on_device"] is True
        assert set(row["input_devices"] + row["output_devices"]) == {"cpu:1"}


@pytest.mark.gpu
@pytest.mark.skipif(not discover().gpus, reason="needs a GPU that JAX can see")
def test_the_same_target_on_cpu_and_gpu(devices: Devices) -> None:
    f = jax.jit(lambda a: jnp.tanh(a @ a).sum())
    target = Target("f", "jax", f, args=(np.ones((256, 256), np.float32),))
    cpu = time_target(target, Options(device="cpu", budget=0.5), devices)
    gpu = time_target(target, Options(device="gpu", budget=0.5), devices)
    assert (cpu.device, gpu.device) == ("cpu:0", "gpu:0")
    assert cpu.error is None and gpu.error is None
    assert gpu.on_device and set(gpu.output_devices) == {"gpu:0"}
    assert gpu.calls > 0 and gpu.transfer_s is not None


@pytest.mark.gpu
@pytest.mark.skipif(not discover().gpus, reason="needs a GPU that JAX can see")
def test_pytensor_on_the_gpu_goes_through_jax(devices: Devices) -> None:
    x = pt.matrix("x")
    w = pytensor.shared(np.ones((100, 100)), name="w")
    with PyTensorFrontend().observe():
        f = pytensor.function([x], (x @ w).sum(), updates={w: w * 0.5})
    target = compiled_in_cell(f=f)["f"]
    result = time_target(target, Options(device="gpu", budget=0.5), devices)
    assert result.error is None, result.error
    assert (result.device, result.backend) == ("gpu:0", "jax")
    assert result.on_device and set(result.output_devices) == {"gpu:0"}
    np.testing.assert_array_equal(w.get_value(), np.ones((100, 100)))
    assert isinstance(w.get_value(borrow=True), np.ndarray)


def test_front_end_requests_are_checked() -> None:
    base = Options(device="cpu", backend="cvm", size=None, budget=1.0)
    picked = options_for(base, {"device": "gpu", "backend": None, "size": 1000})
    assert (picked.device, picked.backend, picked.size, picked.budget) == ("gpu", None, 1000, 1.0)
    assert (options_for(base, {}).device, options_for(base, {}).backend) == ("cpu", "cvm")
    with pytest.raises(DeviceError, match="positive whole number"):
        options_for(base, {"size": -3})
    with pytest.raises(DeviceError, match="bad timing request"):
        options_for(base, {"device": ["gpu"]})
