"""The timing panel end to end: nothing timed in the cell, then the widget's messages.

Real PyTensor and JAX functions in a real IPython shell; the front end is
played by the custom messages anywidget's ``model.send`` delivers. The
widget asks for devices and a timing run once it is on screen; ``--sync``
times inside the cell for batch runs.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import nbformat
import numpy as np
import pytest
from IPython.core.interactiveshell import InteractiveShell
from ipywidgets.widgets.widget import _instances

from conftest import Ran, run
from tgraph.entry import Entry
from tgraph.frontends.jax import JaxFrontend
from tgraph.frontends.pytensor.devices import discover as pytensor_devices
from tgraph.graph import Graph, GraphBundle, Node
from tgraph.idle import Kind
from tgraph.protocol import Offers, Traced, ViewOffer
from tgraph.timing import Clock
from tgraph.widget import GraphWidget

WIDGET_MIME = "application/vnd.jupyter.widget-view+json"
EXAMPLE = Path(__file__).parents[2] / "examples" / "autoencoder.ipynb"
FAST = "--budget 0.1"
HAS_GPU = bool(JaxFrontend().devices().gpus)
no_gpu_only = pytest.mark.skipif(HAS_GPU, reason="this machine has a GPU")

PYTENSOR_CELL = f"""%%tgraph {FAST}
x = pt.dvector("x")
w = pytensor.shared(np.ones(3), name="w")
f = pytensor.function([x], pt.exp(x).sum() + w.sum(), updates={{w: w + 1}})
f(np.ones(3))
"""

JAX_CELL = """
g = jax.jit(lambda a: jnp.tanh(a @ a).sum() + jnp.exp(a).mean())
g(np.ones((32, 32), np.float32))
"""


def widgets(ran: Ran) -> list[GraphWidget]:
    """The widgets a cell displayed, found by the model id in its output."""
    ids = [d[WIDGET_MIME]["model_id"] for d in ran.outputs if WIDGET_MIME in d]
    return [_instances[i] for i in ids]


def send(widget: GraphWidget, content: Any) -> None:
    """What the kernel does with the front end's ``model.send(content)``."""
    message = {"content": {"data": {"method": "custom", "content": content}}, "buffers": []}
    widget._handle_msg(message)


def registry(shell: InteractiveShell) -> Any:
    return shell.magics_manager.registry["TgraphMagics"].registry


@pytest.fixture
def pt_shell(shell: InteractiveShell) -> InteractiveShell:
    run(shell, "import numpy as np\nimport pytensor\nimport pytensor.tensor as pt")
    return shell


@pytest.fixture
def jax_shell(shell: InteractiveShell) -> InteractiveShell:
    run(shell, "import numpy as np\nimport jax\nimport jax.numpy as jnp")
    return shell


@no_gpu_only
def test_the_widget_learns_the_devices_when_it_asks(pt_shell: InteractiveShell) -> None:
    (widget,) = widgets(run(pt_shell, PYTENSOR_CELL))
    assert widget.devices == {}  # discovery is slow: never in the cell
    send(widget, {"type": "devices"})
    assert widget.devices["devices"][0]["name"] == "cpu:0"
    gpu = widget.devices["gpu"]
    assert gpu["available"] is False
    assert "no platforms that are instances of gpu are present" in gpu["reason"]
    assert {b["name"] for b in widget.devices["backends"]} == {"numba", "cvm", "jax"}


def test_nothing_is_timed_in_the_cell_and_the_widget_asks_once(pt_shell: InteractiveShell) -> None:
    (widget,) = widgets(run(pt_shell, PYTENSOR_CELL))
    assert (widget.timings, widget.autorun) == ([], True)
    send(widget, {"type": "time"})  # what the widget sends once it is on screen
    (row,) = widget.timings
    assert (row["target"], row["device"], row["backend"]) == ("f", "cpu:0", "numba")
    assert row["error"] is None and row["calls"] > 0 and row["median_s"] > 0
    assert row["signature"] == "x: float64[3]"  # the cell's own call f(np.ones(3))
    assert "timed with the arguments of the cell's last call" in row["notes"]
    assert widget.busy is False and widget.timing_error == ""
    (entry,) = registry(pt_shell).entries
    assert entry.timings == [row]
    assert registry(pt_shell).listing()["entries"][0]["timing"] == row


def test_sync_times_in_the_cell(pt_shell: InteractiveShell) -> None:
    (widget,) = widgets(run(pt_shell, PYTENSOR_CELL.replace(FAST, f"{FAST} --sync")))
    assert widget.autorun is False and widget.pending == {}
    (row,) = widget.timings
    assert (row["device"], row["error"]) == ("cpu:0", None)


def test_timing_leaves_shared_values_as_the_cell_left_them(pt_shell: InteractiveShell) -> None:
    plain = run(pt_shell, PYTENSOR_CELL.split("\n", 1)[1])
    assert plain.error is None
    without = pt_shell.user_ns["w"].get_value()
    traced = run(pt_shell, PYTENSOR_CELL)
    send(widgets(traced)[0], {"type": "time"})
    assert widgets(traced)[0].timings[0]["calls"] > 1  # the update ran many times
    with_magic = pt_shell.user_ns["w"].get_value()
    np.testing.assert_array_equal(with_magic, without)
    np.testing.assert_array_equal(with_magic, np.full(3, 2.0))
    assert type(with_magic) is type(without) is np.ndarray


def test_no_run_does_not_time_by_itself(pt_shell: InteractiveShell) -> None:
    (widget,) = widgets(run(pt_shell, PYTENSOR_CELL.replace(FAST, "--no-run")))
    assert (widget.timings, widget.autorun) == ([], False)
    assert registry(pt_shell).entries[0].timings == []
    send(widget, {"type": "time"})  # Run still times it
    assert len(widget.timings) == 1


def test_a_run_message_appends_a_row_that_says_where_it_ran(pt_shell: InteractiveShell) -> None:
    (widget,) = widgets(run(pt_shell, PYTENSOR_CELL.replace(FAST, f"{FAST} --no-run")))
    send(widget, {"type": "time", "device": "cpu", "backend": "cvm", "size": 7})
    send(widget, {"type": "time", "device": "cpu", "backend": "jax", "size": None})
    assert [(r["device"], r["backend"]) for r in widget.timings] == [
        ("cpu:0", "cvm"),
        ("cpu:0", "jax"),
    ]
    assert all(r["error"] is None and r["calls"] > 0 for r in widget.timings)
    assert len(registry(pt_shell).entries[0].timings) == 2
    np.testing.assert_array_equal(pt_shell.user_ns["w"].get_value(), np.full(3, 2.0))


def test_bad_and_unknown_messages_change_no_row(pt_shell: InteractiveShell) -> None:
    (widget,) = widgets(run(pt_shell, PYTENSOR_CELL.replace(FAST, "--no-run")))
    send(widget, {"type": "exec", "code": "w.set_value(np.zeros(3))"})
    send(widget, ["time"])
    assert widget.timings == [] and widget.timing_error == ""
    send(widget, {"type": "time", "size": -3})
    assert widget.timing_error == "size must be a positive whole number, not -3"
    send(widget, {"type": "time", "device": "tpu"})
    assert "unknown device 'tpu'" in widget.timing_error
    assert widget.timings == [] and widget.busy is False
    np.testing.assert_array_equal(pt_shell.user_ns["w"].get_value(), np.full(3, 2.0))


@no_gpu_only
def test_device_gpu_without_one_is_a_clear_error_and_the_graphs_show(
    jax_shell: InteractiveShell,
) -> None:
    ran = run(jax_shell, f"%%tgraph --device gpu {FAST}" + JAX_CELL)
    assert ran.error is None
    (line,) = [s for s in ran.stderr.splitlines() if s.startswith("tgraph:")]
    assert "no GPU: Unknown backend: 'gpu' requested" in line
    assert "the graphs shown are the CPU's" in line
    (widget,) = widgets(ran)
    send(widget, {"type": "view", "view": "gradient"})
    assert set(widget.svg) == {"original", "optimized", "gradient"}
    assert all(widget.svg[v].startswith("<svg") for v in widget.svg)
    send(widget, {"type": "time"})
    assert widget.timings == []
    assert widget.timing_error.startswith("no GPU: Unknown backend")
    send(widget, {"type": "time", "device": "cpu"})
    assert widget.timing_error == ""
    assert widget.timings[0]["device"] == "cpu:0"


def test_a_jax_function_is_timed_on_the_shapes_of_its_call(jax_shell: InteractiveShell) -> None:
    (widget,) = widgets(run(jax_shell, f"%%tgraph {FAST}" + JAX_CELL))
    send(widget, {"type": "time"})
    (row,) = widget.timings
    # no device named: where JAX runs by default
    where = "gpu:0" if HAS_GPU else "cpu:0"
    assert (row["device"], row["backend"], row["error"]) == (where, "xla", None)
    assert row["signature"] == "float32[32, 32]"
    assert row["calls"] > 0


def optimized_ids(widget: GraphWidget) -> set[str]:
    send(widget, {"type": "view", "view": "optimized"})
    view = widget.bundle["views"]["optimized"]
    return {n["id"] for n in view["nodes"]} | {s["id"] for s in view["subgraphs"]}


def test_jax_profile_keys_are_node_ids_of_the_optimized_view(
    jax_shell: InteractiveShell,
) -> None:
    (widget,) = widgets(run(jax_shell, "%%tgraph --no-run" + JAX_CELL))
    send(widget, {"type": "profile", "device": ""})  # where the optimized view was compiled for
    assert widget.timing_error == ""
    profile = widget.profile
    assert profile["backend"] == "xla" and profile["calls"] > 0
    assert profile["colours"], profile["notes"]
    assert profile["view"] == "optimized"
    assert set(profile["colours"]) <= optimized_ids(widget)
    # Each coloured node is named as the optimized view draws it, and the
    # fractions are shares of the profiled time, heaviest first.
    view = widget.bundle["views"]["optimized"]
    drawn = {n["id"]: n["label"] for n in view["nodes"] + view["subgraphs"]}
    top = profile["top"]
    assert {e["key"]: e["label"] for e in top} == {k: drawn[k] for k in profile["colours"]}
    total = sum(e["seconds"] for e in top)
    assert [e["fraction"] for e in top] == [pytest.approx(e["seconds"] / total) for e in top]
    assert [e["seconds"] for e in top] == sorted((e["seconds"] for e in top), reverse=True)
    assert sum(profile["colours"].values()) == pytest.approx(1.0)


def test_pytensor_profile_keys_are_node_ids_of_the_optimized_view(
    pt_shell: InteractiveShell,
) -> None:
    assert pytensor_devices().backends["cvm"].available, "this test needs PyTensor's C VM"
    cell = PYTENSOR_CELL.replace(FAST, "--no-run").replace("})", '}, mode="CVM")')
    (widget,) = widgets(run(pt_shell, cell))
    send(widget, {"type": "profile"})
    assert widget.timing_error == ""
    profile = widget.profile
    assert profile["backend"] == profile["timed_backend"] == "cvm"
    assert profile["colours"]
    assert set(profile["colours"]) <= optimized_ids(widget)
    np.testing.assert_array_equal(pt_shell.user_ns["w"].get_value(), np.full(3, 2.0))


def small_entry() -> Entry:
    graph = Graph([Node("x", "input", "x")])
    offers = Offers([ViewOffer("original", "Original")])
    return Entry("g1", Traced(GraphBundle("f", "any", {"original": graph}), offers))


def test_an_interrupt_before_any_measurement_is_one_line_and_not_busy() -> None:
    def interrupted(request: dict[str, Any], clock: Clock) -> dict[str, Any]:
        raise KeyboardInterrupt

    widget = GraphWidget(small_entry(), timer=interrupted)
    widget.run_timing({})
    assert widget.timing_error == "interrupted before anything was measured"
    assert widget.timings == [] and widget.busy is False


def test_options_and_target_reach_the_timer_unchanged() -> None:
    """The widget passes the front end's request through; the magic's timer checks it."""
    seen: list[dict[str, Any]] = []

    def timer(request: dict[str, Any], clock: Clock) -> dict[str, Any]:
        seen.append(request)
        return {"device": "cpu:0"}

    widget = GraphWidget(small_entry(), timer=timer)
    send(widget, {"type": "time", "device": "cpu", "backend": None, "size": 4})
    send(widget, {"type": "profile"})  # no profiler: ignored
    assert seen == [{"type": "time", "device": "cpu", "backend": None, "size": 4}]
    assert widget.timings == [{"device": "cpu:0"}] and widget.profile == {}


SLOW_CELL = """%%tgraph --budget 60
import time
calls = []

def tick(a):
    time.sleep(0.005)
    calls.append(1)
    if len(calls) == 60 and stop:
        stop[0]()
    return a

slow = jax.jit(lambda a: jax.pure_callback(tick, jax.ShapeDtypeStruct(a.shape, a.dtype), a) * 2)
stop = []
slow(jnp.ones(3))
"""


def test_stop_ends_a_running_timing_with_what_it_measured(jax_shell: InteractiveShell) -> None:
    (widget,) = widgets(run(jax_shell, SLOW_CELL))
    # the front end's Stop, pressed during the 60th call (0.3 s) of a 60-second run; the
    # callback makes it a program run only when asked, and then at most 100 times
    jax_shell.user_ns["stop"].append(lambda: send(widget, {"type": "stop"}))
    send(widget, {"type": "time"})
    assert widget.timing_error == ""
    made = len(jax_shell.user_ns["calls"])
    (row,) = widget.timings
    assert row["interrupted"] and not row["budget_exhausted"]
    # the calls that ended count, the cell's own and the first call do not
    assert 0 < row["calls"] <= made - 2 < 200 and row["error"] is None, row
    assert widget.busy is False and widget.timing_error == ""
    # the next run is not stopped by the last Stop
    jax_shell.user_ns["stop"].clear()
    send(widget, {"type": "time", "device": "cpu"})
    assert len(widget.timings) == 2


def test_a_row_and_the_end_of_busy_travel_in_one_message(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def timer(request: dict[str, Any], clock: Clock) -> dict[str, Any]:
        return {"device": "cpu:0"}

    widget = GraphWidget(small_entry(), timer=timer, discover=lambda: {"cpus": []})
    widget.devices = {"cpus": ["cpu:0"]}
    sent: list[set[str]] = []
    monkeypatch.setattr(
        widget, "send_state", lambda key: sent.append({key} if isinstance(key, str) else set(key))
    )
    send(widget, {"type": "time"})
    # busy on, then the row with busy off: never a moment with neither
    assert sent == [{"busy"}, {"timings", "busy"}]


def test_stop_before_a_queued_run_starts_means_it_never_does() -> None:
    queued: list[Callable[[], None]] = []
    seen: list[dict[str, Any]] = []

    def timer(request: dict[str, Any], clock: Clock) -> dict[str, Any]:
        seen.append(request)
        return {"device": "cpu:0"}

    widget = GraphWidget(small_entry(), timer=timer, submit=lambda job, _kind: queued.append(job))
    send(widget, {"type": "time"})
    send(widget, {"type": "stop"})
    send(widget, {"type": "time", "size": 3})  # asked after the Stop: runs
    for job in queued:
        job()
    assert seen == [{"type": "time", "size": 3}]
    assert widget.timings == [{"device": "cpu:0"}]


def test_the_autoencoder_example_trains_and_times_both_steps(shell: InteractiveShell) -> None:
    notebook = nbformat.read(EXAMPLE, as_version=4)
    shown: list[GraphWidget] = []
    printed = ""
    for cell in (c.source for c in notebook.cells if c.cell_type == "code"):
        ran = run(shell, cell)
        assert ran.error is None, cell
        shown += widgets(ran)
        printed += ran.stdout
    assert [w.bundle["target"] for w in shown] == ["train", "train_step"]
    for widget in shown:
        send(widget, {"type": "time"})
        (row,) = widget.timings
        assert row["error"] is None and row["calls"] > 0, widget.timing_error
    losses = [float(v) for v in re.findall(r"(\d+\.\d+) (?:at|after)", printed)]
    assert len(losses) == 4
    assert losses[1] < losses[0] / 2 and losses[3] < losses[2] / 2


def test_timing_waits_behind_the_views_someone_looks_at() -> None:
    kinds: list[Kind] = []
    widget = GraphWidget(small_entry(), submit=lambda _job, kind: kinds.append(kind))
    kinds.clear()  # the first layout's bookkeeping
    for request in [
        {"type": "devices"},
        {"type": "view", "view": "optimized"},
        {"type": "time"},
        {"type": "profile"},
        {"type": "values", "view": "original"},
        {"type": "source", "name": "local_mul_canonizer"},
    ]:
        send(widget, request)
    assert kinds == [
        Kind.BACKGROUND,
        Kind.SHOWN,
        Kind.BACKGROUND,
        Kind.BACKGROUND,
        Kind.SHOWN,
        Kind.LIGHT,
    ]


def test_a_long_budget_is_said_before_the_run_starts(pt_shell: InteractiveShell) -> None:
    (widget,) = widgets(run(pt_shell, PYTENSOR_CELL.replace(FAST, "--budget 30 --no-run")))
    assert widget.timing_error == "timing runs for up to 30 s and at most 1,000,000 calls"
    (short,) = widgets(run(pt_shell, PYTENSOR_CELL.replace(FAST, "--budget 9 --no-run")))
    assert short.timing_error == ""


GPU_DEFINITIONS = """
import numpy as np
import jax
import jax.numpy as jnp

def loss(w, x):
    return jnp.mean(jnp.tanh(x @ w) ** 2)

step = jax.jit(lambda w, x: w - 0.1 * jax.grad(loss)(w, x))
w = jnp.ones((256, 64), jnp.float32) / 16
x = jnp.linspace(-1.0, 1.0, 512 * 256, dtype=jnp.float32).reshape(512, 256)
"""
GPU_CALLS = "for _ in range(3):\n    w = step(w, x)\n"


@pytest.mark.gpu
@pytest.mark.skipif(not HAS_GPU, reason="needs a GPU that JAX can see")
def test_one_click_times_a_step_defined_earlier_on_the_cpu_and_the_gpu(
    shell: InteractiveShell,
) -> None:
    import jax

    run(shell, GPU_DEFINITIONS)
    run(shell, GPU_CALLS)
    plain = np.asarray(shell.user_ns["w"])
    run(shell, GPU_DEFINITIONS)
    (widget,) = widgets(run(shell, f"%%tgraph {FAST}\n{GPU_CALLS}"))
    assert np.array_equal(np.asarray(shell.user_ns["w"]), plain)  # bit for bit
    send(widget, {"type": "devices"})
    card = jax.devices("gpu")[0]
    assert widget.devices["gpu"]["available"] is True
    (offered,) = [d for d in widget.devices["devices"] if d["name"] == "gpu:0"]
    assert card.device_kind in offered["description"]
    send(widget, {"type": "time", "device": "cpu"})
    send(widget, {"type": "time", "device": "gpu"})
    cpu, gpu = widget.timings[-2:]
    assert (cpu["device"], cpu["error"], gpu["device"], gpu["error"]) == (
        "cpu:0",
        None,
        "gpu:0",
        None,
    )
    assert gpu["signature"] == cpu["signature"] == "float32[256, 64], float32[512, 256]"
    assert gpu["calls"] > 0 and gpu["median_s"] > 0
    assert np.array_equal(np.asarray(shell.user_ns["w"]), plain)  # timing left it alone
    assert shell.user_ns["w"].devices() == {card}
