"""The neutral timing core, measured against a clock the test controls.

Every number here is exact: ``measure`` takes the clock as an argument, so a
fake one that advances by known costs per call gives known samples, medians
and counts. Framework timing is tested with each frontend.
"""

from __future__ import annotations

from collections.abc import Iterable

import pytest

from tgraph.devices import DeviceError
from tgraph.frontends import Options
from tgraph.timing import TimingResult, measure, options_for, repeat_seconds


class Ticks:
    """A clock that moves only when the measured function runs, by given costs."""

    def __init__(self, costs: Iterable[float]) -> None:
        self.now = 0.0
        self.costs = iter(costs)
        self.calls = 0

    def clock(self) -> float:
        return self.now

    def call(self) -> int:
        self.now += next(self.costs)
        self.calls += 1
        return self.calls


def test_samples_are_seconds_per_call_and_the_median_is_the_middle_one() -> None:
    # budget 0.25 s: a repeat should last 0.01 s, which the first call already does
    ticks = Ticks([0.01, 0.01, 0.02, 0.06, 0.03, 0.05])
    measured = measure(ticks.call, 0.25, clock=ticks.clock, max_repeats=5)
    assert measured.first_call_s == pytest.approx(0.01)
    assert measured.samples == pytest.approx([0.01, 0.02, 0.06, 0.03, 0.05])
    assert (measured.number, measured.calls, measured.last) == (1, 5, 6)
    row = TimingResult("f", "test", "cpu:0", "none")
    row.fill(measured)
    assert row.median_s == pytest.approx(0.03)
    assert row.min_s == pytest.approx(0.01)
    assert row.iqr_s == pytest.approx(0.05 - 0.02)
    data = row.row()
    assert (data["median_s"], data["calls"]) == (pytest.approx(0.03), 5)


def test_fast_calls_are_grouped_and_reported_per_call() -> None:
    # 1 ms calls, budget 1 s: a repeat should last 40 ms, so 40 calls per repeat
    assert repeat_seconds(1.0) == pytest.approx(0.04)
    ticks = Ticks([0.001] * 10_000)
    measured = measure(ticks.call, 1.0, clock=ticks.clock, max_repeats=3)
    assert measured.number == 40
    assert measured.samples == pytest.approx([0.001, 0.001, 0.001])
    assert measured.calls == 120
    # the first call, one probing call, then three repeats of 40 (the first long enough)
    assert ticks.calls == 1 + 1 + 120


def test_the_budget_stops_repeats_but_one_always_runs() -> None:
    ticks = Ticks([0.5] * 100)
    measured = measure(ticks.call, 0.1, clock=ticks.clock)
    assert measured.budget_exhausted
    assert measured.samples == pytest.approx([0.5])
    assert ticks.calls == 2


def test_ctrl_c_keeps_what_was_measured() -> None:
    ticks = Ticks([0.01] * 4)

    def call() -> int:
        if ticks.calls == 4:
            raise KeyboardInterrupt
        return ticks.call()

    measured = measure(call, 0.25, clock=ticks.clock)
    assert measured.interrupted and not measured.budget_exhausted
    assert measured.samples == pytest.approx([0.01, 0.01, 0.01])


def test_an_error_of_the_users_code_is_raised() -> None:
    def call() -> None:
        raise ZeroDivisionError("boom")

    with pytest.raises(ZeroDivisionError):
        measure(call, 0.25)


def test_front_end_requests_are_checked() -> None:
    base = Options(device="cpu", backend="cvm", size=None, budget=1.0)
    picked = options_for(base, {"device": "gpu", "backend": None, "size": 1000})
    assert (picked.device, picked.backend, picked.size, picked.budget) == ("gpu", None, 1000, 1.0)
    assert (options_for(base, {}).device, options_for(base, {}).backend) == ("cpu", "cvm")
    with pytest.raises(DeviceError, match="positive whole number"):
        options_for(base, {"size": -3})
    with pytest.raises(DeviceError, match="bad timing request"):
        options_for(base, {"device": ["gpu"]})
