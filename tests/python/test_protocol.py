"""``FrontendBase``: a plug-in that writes only targets and trace still answers everything."""

from __future__ import annotations

import time
from typing import Any

import pytest

from tgraph.devices import DeviceError
from tgraph.graph import Graph, GraphBundle, Node
from tgraph.protocol import (
    CellInfo,
    Frontend,
    FrontendBase,
    Offers,
    Options,
    Target,
    Traced,
    ViewOffer,
)
from tgraph.timing import TimingError


class Bare(FrontendBase):
    """A framework whose values are strings: one op node per string, nothing to run."""

    framework = "bare"
    title = "Bare"

    def targets(self, changed: dict[str, Any], cell: CellInfo) -> list[Target]:
        return [Target(n, self.framework, v) for n, v in changed.items() if isinstance(v, str)]

    def trace(self, target: Target, options: Options, cell: CellInfo) -> Traced:
        graph = Graph(nodes=[Node("n0", "op", target.obj, op=target.obj)])
        bundle = GraphBundle(target.name, self.framework, {"original": graph})
        return Traced(bundle, Offers([ViewOffer("original", "Original")]))


class Runs(Bare):
    def call(self, target: Target) -> Any:
        return lambda: len(target.obj)


def test_the_defaults_answer_every_optional_question() -> None:
    frontend: Frontend = Bare()
    with frontend.observe():
        pass
    assert frontend.target_for_call("f", print) is None
    assert frontend.declared({"s": "add"}) == []
    assert frontend.hint(ValueError("removed")) is None
    devices = frontend.devices()
    assert devices.resolve("cpu").name == "cpu:0"
    with pytest.raises(DeviceError, match="Bare runs on the host only"):
        devices.resolve("gpu")


def test_timing_runs_call_on_the_host_and_says_when_there_is_none() -> None:
    [target] = Bare().targets({"s": "add", "n": 3}, CellInfo(""))
    devices = Bare().devices()
    with pytest.raises(TimingError, match="Bare cannot run s here"):
        Bare().time(target, Options(budget=0.05), devices, time.perf_counter)
    row = Runs().time(target, Options(budget=0.05), devices, time.perf_counter).row()
    assert (row["target"], row["framework"], row["device"], row["backend"]) == (
        "s",
        "bare",
        "cpu:0",
        "python",
    )
    assert row["error"] is None and row["calls"] >= 1
    with pytest.raises(TimingError, match="Bare has no per-node profile"):
        Runs().profile(target, Options(), devices)


def test_a_plugin_must_write_targets_and_trace() -> None:
    with pytest.raises(NotImplementedError, match="FrontendBase must find its targets"):
        FrontendBase().targets({}, CellInfo(""))
    with pytest.raises(NotImplementedError, match="FrontendBase must trace its targets"):
        FrontendBase().trace(Target("t", "x", None), Options(), CellInfo(""))


def test_a_plugins_timing_makes_at_most_the_calls_options_allow() -> None:
    [target] = Bare().targets({"s": "add"}, CellInfo(""))
    made: list[int] = []

    class Counted(Bare):
        def call(self, target: Target) -> Any:
            return lambda: made.append(1)

    result = Counted().time(
        target, Options(budget=10.0, max_calls=7), Bare().devices(), time.perf_counter
    )
    assert len(made) == result.total_calls == 7
    assert result.notes == ["stopped at 7 calls, the most one run makes"]
