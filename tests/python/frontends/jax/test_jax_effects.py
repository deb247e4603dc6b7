"""JAX programs with side effects are never run behind the user's back.

A host callback (``jax.pure_callback``, ``io_callback``, ``jax.debug.callback``)
runs the user's Python on every call. tgraph shows such a program's graphs,
but neither times it by itself nor computes its values or checks its
gradient numerically: the timing panel says why in one line and what Run
would do, and Run says what it did. Cells as a notebook has them: the
callback and its counter first, the jitted program and its call next, the
counter read last.
"""

from __future__ import annotations

import re

import pytest
from IPython.core.interactiveshell import InteractiveShell

from asked import automatic_requests, send, values_of_every_view, widgets
from conftest import run

#: Each callback kind: the definitions cell (a counter the callback appends to)
#: and the traced cell, calling the program once.
CALLBACKS = {
    "pure_callback": (
        """
calls = []
def host_sin(x):
    calls.append(1)
    return np.sin(x)
def f(x):
    y = jax.pure_callback(host_sin, jax.ShapeDtypeStruct(x.shape, x.dtype), x)
    return (y * x).sum()
""",
        "g = jax.jit(f)\nout = g(jnp.arange(3.0))\n",
        "jax.pure_callback",
    ),
    "io_callback": (
        """
from jax.experimental import io_callback
calls = []
def record(x):
    calls.append(float(x))
    return np.float32(len(calls))
def f(x):
    n = io_callback(record, jax.ShapeDtypeStruct((), np.float32), x.sum())
    return x * n
""",
        "g = jax.jit(f)\nout = g(jnp.ones(3))\n",
        "io_callback",
    ),
    "debug_callback": (
        """
calls = []
def f(x):
    jax.debug.callback(lambda v: calls.append(float(v)), x.sum())
    return jnp.tanh(x).sum()
""",
        "g = jax.jit(f)\nout = g(jnp.ones(4))\n",
        "jax.debug.callback",
    ),
}


@pytest.fixture
def jax_shell(shell: InteractiveShell) -> InteractiveShell:
    run(shell, "import numpy as np\nimport jax\nimport jax.numpy as jnp")
    return shell


def calls(shell: InteractiveShell) -> int:
    return len(shell.user_ns["calls"])


@pytest.mark.parametrize("kind", list(CALLBACKS))
def test_a_callback_runs_as_often_as_in_the_plain_notebook(
    jax_shell: InteractiveShell, kind: str
) -> None:
    definitions, call, said = CALLBACKS[kind]
    run(jax_shell, definitions)
    (widget,) = widgets(run(jax_shell, "%%tgraph --budget 0.1\n" + call))
    assert calls(jax_shell) == 1  # the cell's own call, as without tgraph
    automatic_requests(widget)
    values = values_of_every_view(widget)
    assert calls(jax_shell) == 1
    assert widget.autorun is False and widget.timings == []
    message = widget.timing_error
    assert message.startswith(f"not timed by itself: g calls back into Python ({said})")
    assert re.search(r"\. Run times it anyway and runs it about \d+ times$", message)
    for view in ("original", "optimized"):
        assert values[view]["error"] == f"values not computed: g calls back into Python ({said})"
        assert values[view]["nodes"] == {}
    gradient = widget._entry.bundle.views["gradient"]
    assert not any(n.startswith("checked against") for n in gradient.notes)
    if gradient.nodes:  # JAX differentiates through a debug callback, not the others
        assert gradient.notes[-1] == (
            f"not checked numerically: g calls back into Python ({said}), and a check would run it"
        )
    assert bool(gradient.nodes) == (kind == "debug_callback")
    send(widget, {"type": "profile"})  # "Where the time goes" would run it too
    assert widget.timing_error == (
        f"not profiled: g calls back into Python ({said}), and a profile would run it"
    )
    assert calls(jax_shell) == 1


@pytest.mark.parametrize("kind", list(CALLBACKS))
def test_run_times_it_anyway_and_says_how_often_the_callback_ran(
    jax_shell: InteractiveShell, kind: str
) -> None:
    definitions, call, _ = CALLBACKS[kind]
    run(jax_shell, definitions)
    (widget,) = widgets(run(jax_shell, "%%tgraph --budget 0.1\n" + call))
    promised = int(re.search(r"about (\d+) times", widget.timing_error).group(1))
    send(widget, {"type": "time"})  # the Run button
    (row,) = widget.timings
    assert row["error"] is None and row["calls"] > 0
    ran = calls(jax_shell) - 1  # one callback per call of g
    assert 0 < ran <= promised
    assert f"ran anyway with its side effects: {ran} calls of g" in row["notes"]


def test_sync_does_not_time_it_in_the_cell_either(jax_shell: InteractiveShell) -> None:
    definitions, call, _ = CALLBACKS["pure_callback"]
    run(jax_shell, definitions)
    (widget,) = widgets(run(jax_shell, "%%tgraph --budget 0.1 --sync\n" + call))
    assert widget.timings == [] and calls(jax_shell) == 1
    assert widget.timing_error.startswith("not timed by itself: g calls back into Python")
