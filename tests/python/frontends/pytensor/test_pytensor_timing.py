"""Timing, profiling and devices of the PyTensor frontend, on real functions.

No test asserts a speed: only that rows are complete, say where they ran and
with which inputs, and leave the user's state (shared values, JAX's flags)
as it was. These tests moved here from ``test_timing.py``,
``test_profile.py`` and ``test_devices.py`` with the PyTensor code.
"""

from __future__ import annotations

import linecache
import warnings
from typing import Any

import jax
import numpy as np
import pytensor
import pytensor.tensor as pt
import pytest
from IPython.core.interactiveshell import InteractiveShell

from asked import automatic_requests, send, widgets
from conftest import run
from tgraph.devices import Backend, Device, DeviceError, Devices
from tgraph.frontends.pytensor import PyTensorFrontend
from tgraph.frontends.pytensor.devices import check_cvm, pick_backend
from tgraph.protocol import CellInfo, Options, Target
from tgraph.timing import TimingError


@pytest.fixture(scope="module")
def devices() -> Devices:
    return PyTensorFrontend().devices()


def cell(code: str, **given: Any) -> dict[str, Target]:
    """Run ``code`` as a traced cell; its targets by name."""
    filename = f"<tgraph-timing-cell-{abs(hash(code))}>"
    linecache.cache[filename] = (len(code), None, code.splitlines(True), filename)
    ns: dict[str, Any] = {"pt": pt, "np": np, "pytensor": pytensor, **given}
    before = dict(ns)
    frontend = PyTensorFrontend()
    with frontend.observe():
        exec(compile(code, filename, "exec"), ns)
    changed = {k: v for k, v in ns.items() if k not in before and k != "__builtins__"}
    return {t.name: t for t in frontend.targets(changed, CellInfo(code, filename))}


def time_it(target: Target, devices: Devices, **options: Any) -> Any:
    options.setdefault("budget", 0.2)
    return PyTensorFrontend().time(target, Options(**options), devices, None)


@pytest.mark.parametrize("backend", ["numba", "cvm", "jax"])
def test_backends_with_shared_updates_leave_state_alone(devices: Devices, backend: str) -> None:
    if not devices.backends[backend].available:
        pytest.skip(devices.backends[backend].reason)
    targets = cell(
        "x = pt.vector('x')\nw = pytensor.shared(np.arange(3.0), name='w')\n"
        "count = pytensor.shared(np.int64(0), name='count')\n"
        "f = pytensor.function([x], (pt.exp(x) * w.sum()).sum(),\n"
        "                      updates={w: w * 2, count: count + 1})\n"
    )
    w = next(v for v in targets["f"].obj.maker.inputs if v.variable.name == "w").variable
    count = next(v for v in targets["f"].obj.maker.inputs if v.variable.name == "count").variable
    x64 = jax.config.jax_enable_x64
    result = time_it(targets["f"], devices, backend=backend, budget=0.3)
    assert result.error is None, result.error
    assert (result.backend, result.device, result.framework) == (backend, "cpu:0", "pytensor")
    assert result.calls > 0 and result.compile_s is not None
    assert result.signature == "x: float64[100]"
    assert result.notes == [
        "timed with made-up inputs (size 100 for unknown dimensions): no call in the cell"
    ]
    assert isinstance(w.get_value(borrow=True), np.ndarray)
    np.testing.assert_array_equal(w.get_value(), np.arange(3.0))
    assert count.get_value() == 0
    assert jax.config.jax_enable_x64 == x64
    if backend == "jax":
        assert result.on_device and set(result.output_devices) == {"cpu:0"}


def test_the_cells_own_call_is_timed_and_said(devices: Devices) -> None:
    targets = cell(
        "x = pt.dmatrix('x')\ns = 1 / (1 + pt.exp(-x))\nlogistic = pytensor.function([x], s)\n"
        "logistic([[0, 1], [-1, -2]])\n"
    )
    target = targets["logistic"]
    result = time_it(target, devices)
    assert result.error is None, result.error
    assert result.signature == "x: float64[2, 2]"
    assert result.notes == ["timed with the arguments of the cell's last call"]
    # Prepared once: a second run uses the very same values.
    assert target.inputs.args == [[[0, 1], [-1, -2]]]
    kept = target.inputs
    time_it(target, devices)
    assert target.inputs is kept


def test_made_up_inputs_follow_static_shapes_and_size(devices: Devices) -> None:
    x = pt.tensor("x", shape=(None, 3), dtype="float32")
    i = pt.lscalar("i")
    result = time_it(Target("y", "pytensor", pt.log(x)[i].sum()), devices, size=7)
    assert result.error is None, result.error
    assert result.signature == "i: int64[], x: float32[7, 3]"
    assert result.notes == [
        "timed with made-up inputs (size 7 for unknown dimensions): no call in the cell"
    ]


def test_given_arguments_are_used(devices: Devices) -> None:
    x = pt.vector("x")
    result = time_it(Target("y", "pytensor", x.sum(), args=(np.ones(5),)), devices)
    assert result.signature == "x: float64[5]"
    assert result.notes == ["timed with the arguments given"]


def test_a_function_compiled_before_keeps_its_backend(devices: Devices) -> None:
    x = pt.vector("x")
    w = pytensor.shared(np.ones(2), name="w")
    f = pytensor.function([x], x.sum() + w.sum(), updates={w: w + 1})  # not observed
    [target] = PyTensorFrontend().targets({"f": f}, CellInfo(""))
    result = time_it(target, devices)
    assert result.error is None and result.compile_s is None and result.calls > 0
    assert result.notes[0] == (
        "compiled before this cell: timing that very function, without its compile time"
    )
    np.testing.assert_array_equal(w.get_value(), np.ones(2))
    with pytest.raises(TimingError, match="can be timed with numba only"):
        time_it(target, devices, backend="jax")


def test_jax_x64_flag_is_restored(devices: Devices) -> None:
    before = jax.config.jax_enable_x64
    jax.config.update("jax_enable_x64", False)  # JAX's default, whatever ran before
    try:
        result = time_it(Target("y", "pytensor", pt.exp(pt.dvector("x"))), devices, backend="jax")
        assert result.error is None, result.error
        assert not jax.config.jax_enable_x64
    finally:
        jax.config.update("jax_enable_x64", before)


def test_asking_for_a_gpu_without_one_is_a_clear_error(devices: Devices) -> None:
    if devices.gpus:
        pytest.skip("this machine has a GPU")
    with pytest.raises(DeviceError, match=r"^no GPU: "):
        time_it(Target("y", "pytensor", pt.exp(pt.dvector("x"))), devices, device="gpu")


def test_errors_of_the_users_code_land_in_the_result(devices: Devices) -> None:
    x = pt.dvector("x")
    target = Target("y", "pytensor", x[5], args=(np.ones(2),))
    result = time_it(target, devices)
    assert result.error is not None and result.error.startswith("IndexError: ")


# -- devices -------------------------------------------------------------------------


def test_backends_are_listed_with_reasons(devices: Devices) -> None:
    assert list(devices.backends) == ["numba", "cvm", "jax"]
    assert devices.backends["numba"].available and devices.backends["jax"].available
    assert devices.cpus[0].name == "cpu:0"
    cpu = devices.cpus[0]
    assert pick_backend(devices, None, cpu, None) == "numba"
    assert pick_backend(devices, None, cpu, "cvm") == "cvm"
    assert pick_backend(devices, "JAX", cpu, "numba") == "jax"
    with pytest.raises(DeviceError, match="unknown backend 'torch': use numba, cvm or jax"):
        pick_backend(devices, "torch", cpu, None)


def test_numba_and_c_stay_on_the_host() -> None:
    cpus = [Device("cpu", 0, "host"), Device("cpu", 1, "second")]
    gpu = Device("gpu", 0, "card")
    found = Devices(cpus, [gpu])
    assert pick_backend(found, None, gpu, "numba") == "jax"
    assert pick_backend(found, None, cpus[1], None) == "jax"
    with pytest.raises(DeviceError, match="numba backend runs on the host CPU only"):
        pick_backend(found, "numba", gpu, None)
    with pytest.raises(DeviceError, match="cvm backend runs on the host CPU only"):
        pick_backend(found, "cvm", cpus[1], None)


def test_an_unavailable_backend_gives_its_reason() -> None:
    found = Devices([Device("cpu", 0, "host")], [], backends={"cvm": Backend("cvm", False, "no")})
    with pytest.raises(DeviceError, match="PyTensor's cvm backend is unavailable: no"):
        pick_backend(found, "cvm", found.cpus[0], None)


def test_the_c_vm_probe_is_silent(capfd: pytest.CaptureFixture[str]) -> None:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        reason = check_cvm()
        PyTensorFrontend().devices()
    out, err = capfd.readouterr()
    assert (out, err, [str(w.message) for w in caught]) == ("", "", [])
    assert reason == ""


# -- profile ---------------------------------------------------------------------------


def test_profile_colours_are_node_ids_of_the_optimized_view(devices: Devices) -> None:
    targets = cell(
        "x = pt.dvector('x')\nw = pytensor.shared(np.ones(4), name='w')\n"
        "f = pytensor.function([x], [pt.exp(x).sum(), (x * w).sum()], mode='CVM')\n"
        "f(np.arange(4.0))\n"
    )
    target = targets["f"]
    result = PyTensorFrontend().profile(target, Options(budget=0.2), devices)
    optimized = target.traced.bundle.views["optimized"]
    ids = {n.id for n in optimized.nodes if n.kind == "op" and n.parent is None}
    assert result.view == "optimized"
    assert set(result.colours()) == ids
    assert result.calls > 0 and result.total_s > 0
    labels = {e.key: e.label for e in result.entries}
    assert {labels[i] for i in ids} == {optimized.node(i).label for i in ids}
    assert result.notes == ["profiled with the arguments of the cell's last call"]


def test_a_profile_says_it_comes_from_the_c_vm(devices: Devices) -> None:
    target = Target("y", "pytensor", pt.exp(pt.dvector("x")).sum())
    result = PyTensorFrontend().profile(target, Options(budget=0.2), devices)
    assert (result.backend, result.timed_backend) == ("cvm", "numba")
    assert result.notes[0] == (
        "per-node times come from the C VM (PyTensor profiles no other backend); "
        "numba may rewrite the graph differently"
    )


def test_a_function_without_its_graph_cannot_be_profiled(devices: Devices) -> None:
    x = pt.dvector("x")
    f = pytensor.function([x], x * 2)
    [target] = PyTensorFrontend().targets({"f": f}, CellInfo(""))
    with pytest.raises(TimingError, match="compiled outside %%tgraph"):
        PyTensorFrontend().profile(target, Options(), devices)


@pytest.fixture
def pt_shell(shell: InteractiveShell) -> InteractiveShell:
    run(shell, "import numpy as np\nimport pytensor\nimport pytensor.tensor as pt")
    return shell


def test_timing_an_update_of_a_borrowed_buffer_leaves_the_buffer_and_its_alias(
    pt_shell: InteractiveShell,
) -> None:
    run(pt_shell, "buf = np.zeros(3)\ns = pytensor.shared(buf, borrow=True)")
    ran = run(
        pt_shell,
        "%%tgraph --budget 0.1\nstep = pytensor.function([], s.sum(), updates={s: s + 1})\n"
        "for _ in range(4):\n    step()\n",
    )
    (widget,) = widgets(ran)
    automatic_requests(widget)
    send(widget, {"type": "profile"})
    assert widget.timings[0]["calls"] > 10 and widget.profile["calls"] > 10
    ns = pt_shell.user_ns
    assert ns["buf"].tolist() == [4.0, 4.0, 4.0]
    assert ns["s"].get_value(borrow=True) is ns["buf"]
    run(pt_shell, "step()")
    assert ns["buf"].tolist() == [5.0, 5.0, 5.0]


def test_timing_a_function_that_destroys_its_input_leaves_the_users_array(
    pt_shell: InteractiveShell,
) -> None:
    definitions = "from pytensor import In\nv = pt.dvector('v')\na = np.array([0.0, 1.0, 2.0])\n"
    call = "g = pytensor.function([In(v, mutable=True)], pt.exp(v) * 2)\nout = g(a)\n"
    run(pt_shell, definitions)
    run(pt_shell, call)
    plain = pt_shell.user_ns["a"].copy(), pt_shell.user_ns["out"].copy()
    run(pt_shell, definitions)
    (widget,) = widgets(run(pt_shell, "%%tgraph --budget 0.1\n" + call))
    automatic_requests(widget)
    send(widget, {"type": "profile"})
    assert widget.timings[0]["calls"] > 10 and widget.timings[0]["error"] is None
    assert pt_shell.user_ns["a"].tolist() == plain[0].tolist()
    assert pt_shell.user_ns["out"].tolist() == plain[1].tolist()


@pytest.mark.gpu
def test_a_pytensor_function_runs_on_the_gpu_through_jax(devices: Devices) -> None:
    if not devices.gpus:
        pytest.skip("needs a GPU that JAX can see")
    x = pt.dvector("x")
    target = Target("y", "pytensor", pt.exp(x).sum(), args=(np.linspace(0.0, 1.0, 4096),))
    result = time_it(target, devices, device="gpu")
    assert (result.device, result.backend, result.error) == ("gpu:0", "jax", None)
    assert result.row()["calls"] > 0
