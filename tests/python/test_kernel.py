"""A real kernel, spoken to as JupyterLab does: the cell replies first, heavy views follow.

The widget's model is opened with the views that were cheap; the front end
then asks for the rest with a custom message, which the kernel serves after
the cells already queued. ``--sync`` puts everything in the cell instead.
"""

from __future__ import annotations

import json
import queue
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from jupyter_client.blocking.client import BlockingKernelClient
from jupyter_client.manager import KernelManager

from tgraph.static import unpack

BIG = """%%tgraph {flags}
import pytensor.tensor as pt
x = pt.dvector("x")
y = x
for _ in range(250):
    y = pt.sin(y) * 1.0001 + pt.cos(y)
"""


@pytest.fixture(scope="module")
def kernel() -> Iterator[BlockingKernelClient]:
    manager = KernelManager(kernel_name="python3")
    manager.start_kernel(env={"TGRAPH_SYNC": "", "PYDEVD_DISABLE_FILE_VALIDATION": "1"})
    client = manager.client()
    client.start_channels()
    client.wait_for_ready(timeout=60)
    execute(client, "%load_ext tgraph")
    yield client
    client.stop_channels()
    manager.shutdown_kernel(now=True)


def execute(client: BlockingKernelClient, code: str) -> list[dict[str, Any]]:
    """Run ``code``; every iopub message up to the idle status, the reply last."""
    msg_id = client.execute(code)
    seen: list[dict[str, Any]] = []
    while True:
        msg = client.get_iopub_msg(timeout=300)
        if msg["parent_header"].get("msg_id") != msg_id:
            continue
        seen.append(msg)
        if msg["msg_type"] == "status" and msg["content"]["execution_state"] == "idle":
            break
    reply = client.get_shell_msg(timeout=60)
    assert reply["content"]["status"] == "ok", reply["content"]
    return [*seen, reply]


def unpacked(state: dict[str, Any]) -> dict[str, Any]:
    """A widget state as the browser reads it: bundle and SVGs travel packed."""
    state = dict(state)
    if isinstance(state.get("bundle"), str):
        state["bundle"] = json.loads(unpack(state["bundle"]))
    if "svg" in state:
        state["svg"] = {view: unpack(svg) for view, svg in state["svg"].items()}
    return state


def widget_state(messages: list[dict[str, Any]]) -> tuple[str, dict[str, Any]]:
    (opened,) = [
        m
        for m in messages
        if m["msg_type"] == "comm_open" and "pending" in m["content"]["data"]["state"]
    ]
    return opened["content"]["comm_id"], unpacked(opened["content"]["data"]["state"])


def test_the_cell_replies_before_the_heavy_view_then_the_widget_gets_it(
    kernel: BlockingKernelClient,
) -> None:
    messages = execute(kernel, BIG.format(flags=""))
    comm_id, state = widget_state(messages)
    # 1,000 nodes: even the graph as written is drawn after the cell
    assert state["bundle"]["views"] == {}
    assert state["pending"]["original"] == {"task": "drawing", "started": None}
    assert state["pending"]["optimized"] == {"task": "rewriting", "started": None}
    assert state["timings"] == [] and state["autorun"] is True
    # what the browser sends once the widget is on screen
    for view in ("original", "optimized"):
        request = kernel.session.msg(
            "comm_msg",
            {
                "comm_id": comm_id,
                "data": {"method": "custom", "content": {"type": "view", "view": view}},
            },
        )
        kernel.shell_channel.send(request)
    updates: list[dict[str, Any]] = []
    while not any("optimized" in u.get("bundle", {}).get("views", {}) for u in updates):
        try:
            msg = kernel.get_iopub_msg(timeout=300)
        except queue.Empty:
            pytest.fail("the optimized view never arrived")
        if msg["msg_type"] == "comm_msg" and msg["content"]["comm_id"] == comm_id:
            updates.append(unpacked(msg["content"]["data"].get("state", {})))
    started = [
        u["pending"]["optimized"]["started"] for u in updates if "optimized" in u.get("pending", {})
    ]
    # the widget could show "rewriting… n s" once the kernel started on it
    assert [s for s in started if s is not None] and isinstance(started[-1], float)
    last = next(u for u in updates if "optimized" in u.get("bundle", {}).get("views", {}))
    assert "optimized" not in last["pending"]
    assert last["svg"]["optimized"].startswith("<svg")
    assert set(last["bundle"]["views"]) == {"original", "optimized"}
    assert last["svg"]["original"].startswith("<svg")


def test_sync_builds_every_view_and_times_in_the_cell(kernel: BlockingKernelClient) -> None:
    messages = execute(kernel, BIG.format(flags="--sync --budget 0.2"))
    _, state = widget_state(messages)
    assert state["pending"] == {}
    assert set(state["bundle"]["views"]) == {"original", "optimized", "gradient"}
    assert state["autorun"] is False
    # the timing row arrives as an update of the same model, before the reply
    rows = [
        unpacked(m["content"]["data"]["state"])["timings"]
        for m in messages
        if m["msg_type"] == "comm_msg" and "timings" in m["content"]["data"].get("state", {})
    ]
    assert rows and len(rows[-1]) == 1 and rows[-1][0]["device"] == "cpu:0"


def test_stderr_holds_only_tgraph_lines(kernel: BlockingKernelClient) -> None:
    messages = execute(
        kernel,
        "%%tgraph --budget 0.2\nimport pytensor.tensor as pt\n"
        "v = pt.dvector('v')\nw = (v ** 2).sum()",
    )
    streams = [m["content"] for m in messages if m["msg_type"] == "stream"]
    assert [s for s in streams if s["name"] == "stderr"] == []
    marker = uuid.uuid4().hex
    messages = execute(kernel, f"import sys\nprint('{marker}', file=sys.stderr)")
    assert [m["content"]["text"] for m in messages if m["msg_type"] == "stream"] == [f"{marker}\n"]


TWO = """%%tgraph
import pytensor
import pytensor.tensor as pt
a = pt.dvector("a")
first = pytensor.function([a], (pt.exp(a) * 2).sum())
second = pytensor.function([a], (pt.sin(a) ** 2).sum())
first([1.0, 2.0]), second([1.0, 2.0])
"""


def test_a_view_asked_for_goes_before_timing_asked_for_earlier(
    kernel: BlockingKernelClient,
) -> None:
    opened = [
        m
        for m in execute(kernel, TWO)
        if m["msg_type"] == "comm_open" and "pending" in m["content"]["data"]["state"]
    ]
    first, second = (m["content"]["comm_id"] for m in opened)
    assert "gradient" in unpacked(opened[1]["content"]["data"]["state"])["pending"]

    def ask(comm_id: str, content: dict[str, Any]) -> None:
        data = {"method": "custom", "content": content}
        kernel.shell_channel.send(
            kernel.session.msg("comm_msg", {"comm_id": comm_id, "data": data})
        )

    # within the cells' settling time, as Run All's widgets ask
    ask(first, {"type": "time"})
    ask(second, {"type": "time"})
    ask(second, {"type": "view", "view": "gradient"})
    events: list[str] = []
    while len(events) < 3:
        try:
            msg = kernel.get_iopub_msg(timeout=300)
        except queue.Empty:
            pytest.fail(f"only {events} arrived")
        if msg["msg_type"] != "comm_msg":
            continue
        state = unpacked(msg["content"]["data"].get("state", {}))
        who = "first" if msg["content"]["comm_id"] == first else "second"
        if state.get("timings"):
            events.append(f"{who} timed")
        if "gradient" in state.get("bundle", {}).get("views", {}):
            events.append(f"{who} gradient")
    assert events == ["second gradient", "first timed", "second timed"]
