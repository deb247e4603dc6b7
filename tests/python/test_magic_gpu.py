"""``%%tgraph --device gpu`` in a notebook on a machine with a GPU.

The magic line's device decides where the graphs are compiled and where the
widget's Run button times: definitions sit in one cell, the calls in a later
one, as in a notebook. Skipped where JAX sees no GPU (the CPU's fallback
message is tested in test_widget_timing.py).
"""

from __future__ import annotations

import numpy as np
import pytest
from IPython.core.interactiveshell import InteractiveShell

from asked import send, widgets
from conftest import Ran, run
from tgraph.frontends.jax import JaxFrontend
from tgraph.widget import GraphWidget

HAS_GPU = bool(JaxFrontend().devices().gpus)
needs_gpu = pytest.mark.skipif(not HAS_GPU, reason="needs a GPU that JAX can see")

JAX_DEFINITIONS = """
import numpy as np
import jax
import jax.numpy as jnp

@jax.jit
def predict(w, x):
    return jnp.tanh(x @ w).sum(axis=1)

w = jnp.linspace(-1.0, 1.0, 128 * 16, dtype=jnp.float32).reshape(128, 16)
x = jnp.ones((64, 128), jnp.float32) / 8
"""
JAX_CALLS = "y = predict(w, x)\n"

PYTENSOR_DEFINITIONS = """
import numpy as np
import pytensor
import pytensor.tensor as pt

x = pt.dvector("x")
w = pytensor.shared(np.ones(3), name="w")
cost = pt.exp(x).sum() + w.sum()
"""
PYTENSOR_CALLS = "f = pytensor.function([x], cost, updates={w: w + 1})\nout = f(np.ones(3))\n"


def magic_cell(shell: InteractiveShell, device: str, calls: str) -> tuple[Ran, GraphWidget]:
    ran = run(shell, f"%%tgraph --device {device} --budget 0.1\n{calls}")
    assert ran.error is None
    (widget,) = widgets(ran)
    return ran, widget


def jax_flow(shell: InteractiveShell, device: str) -> None:
    """The JAX notebook: the line's device builds the graphs and times the Run."""
    run(shell, JAX_DEFINITIONS)
    run(shell, JAX_CALLS)
    plain = np.asarray(shell.user_ns["y"])
    ran, widget = magic_cell(shell, device, JAX_CALLS)
    assert [s for s in ran.stderr.splitlines() if s.startswith("tgraph:")] == []
    assert np.array_equal(np.asarray(shell.user_ns["y"]), plain)  # bit for bit
    send(widget, {"type": "view", "view": "optimized"})
    assert widget.svg["original"].startswith("<svg")
    assert widget.svg["optimized"].startswith("<svg")
    send(widget, {"type": "time"})  # the Run button: no device named
    (row,) = widget.timings
    assert (row["target"], row["device"], row["error"]) == ("predict", f"{device}:0", None)
    assert row["signature"] == "float32[128, 16], float32[64, 128]"
    assert row["calls"] > 0 and row["median_s"] > 0
    assert np.array_equal(np.asarray(shell.user_ns["y"]), plain)


def pytensor_flow(shell: InteractiveShell, device: str, backend: str) -> None:
    """A PyTensor function with a shared update, timed where the line says."""
    run(shell, PYTENSOR_DEFINITIONS)
    _ran, widget = magic_cell(shell, device, PYTENSOR_CALLS)
    assert shell.user_ns["out"] == pytest.approx(3 * np.e + 3.0)
    send(widget, {"type": "time"})
    (row,) = widget.timings
    assert (row["target"], row["device"], row["backend"]) == ("f", f"{device}:0", backend)
    assert row["error"] is None and row["calls"] > 1
    np.testing.assert_array_equal(shell.user_ns["w"].get_value(), np.full(3, 2.0))


def test_device_cpu_on_the_line_is_the_same_flow_on_the_host(shell: InteractiveShell) -> None:
    jax_flow(shell, "cpu")
    pytensor_flow(shell, "cpu", "numba")


@pytest.mark.gpu
@needs_gpu
def test_device_gpu_on_the_line_builds_and_times_a_jax_step_on_the_gpu(
    shell: InteractiveShell,
) -> None:
    jax_flow(shell, "gpu")
    assert {str(d.platform) for d in shell.user_ns["y"].devices()} == {"gpu"}


@pytest.mark.gpu
@needs_gpu
def test_device_gpu_on_the_line_times_pytensor_through_jax(shell: InteractiveShell) -> None:
    pytensor_flow(shell, "gpu", "jax")


@pytest.mark.gpu
@needs_gpu
def test_a_pytensor_function_compiled_earlier_says_why_it_stays_on_the_host(
    shell: InteractiveShell,
) -> None:
    # compiled for Numba in an earlier cell: PyTensor keeps only that build
    run(shell, PYTENSOR_DEFINITIONS + PYTENSOR_CALLS)
    _ran, widget = magic_cell(shell, "gpu", "out = f(np.ones(3))\n")
    send(widget, {"type": "time"})
    assert widget.timings == []
    assert widget.timing_error.startswith("f was compiled for numba outside %%tgraph")


def default_flow(shell: InteractiveShell) -> tuple[str, str, list[str]]:
    """No device named anywhere: the toggle shown, where the Run ran, what XLA compiled for."""
    run(shell, JAX_DEFINITIONS)
    ran = run(shell, f"%%tgraph --budget 0.1\n{JAX_CALLS}")
    (widget,) = widgets(ran)
    send(widget, {"type": "view", "view": "optimized"})
    send(widget, {"type": "devices"})
    send(widget, {"type": "time", "device": ""})  # the widget's request until a device is picked
    (row,) = widget.timings
    notes = widget.bundle["views"]["optimized"]["notes"]
    compiled = [n.split(" (")[0] for n in notes if n.startswith(("XLA cpu", "XLA gpu"))]
    return widget.devices["default"], row["device"], compiled


@pytest.mark.skipif(HAS_GPU, reason="this machine has a GPU")
def test_no_device_named_runs_where_jax_runs_by_default_the_host(shell: InteractiveShell) -> None:
    assert default_flow(shell) == ("cpu", "cpu:0", ["XLA cpu"])


@pytest.mark.gpu
@needs_gpu
def test_no_device_named_compiles_and_times_a_jax_step_on_the_gpu(shell: InteractiveShell) -> None:
    # JAX runs the user's step on its GPU: the compiled view and the Run follow it
    assert default_flow(shell) == ("gpu", "gpu:0", ["XLA gpu"])
