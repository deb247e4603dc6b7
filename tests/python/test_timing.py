"""The neutral timing core, measured against a clock the test controls.

Every number here is exact: ``measure`` takes the clock as an argument, so a
fake one that advances by known costs per call gives known samples, medians
and counts. Framework timing is tested with each frontend.
"""

from __future__ import annotations

import gc
from collections.abc import Iterable

import pytest

from tgraph.devices import DeviceError
from tgraph.protocol import Options
from tgraph.runner import options_for
from tgraph.timing import Paused, StopClock, TimingResult, measure, repeat_seconds


class Ticks:
    """A clock that moves only when the measured function runs, by given costs."""

    def __init__(self, costs: Iterable[float], start: float = 0.0) -> None:
        self.now = start
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
    assert (row.first_call_s, row.number, row.calls) == (pytest.approx(0.01), 1, 5)
    assert (row.interrupted, row.budget_exhausted) == (False, False)
    data = row.row()
    assert (data["median_s"], data["calls"]) == (pytest.approx(0.03), 5)
    assert (data["min_s"], data["iqr_s"]) == (pytest.approx(0.01), pytest.approx(0.03))


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


def test_stop_ends_the_run_at_the_next_reading_and_keeps_what_was_measured() -> None:
    ticks = Ticks([0.01] * 100)
    clock = StopClock(ticks.clock)

    def call() -> int:
        if ticks.calls == 4:
            clock.stop()  # the panel's Stop, during the fifth call
        return ticks.call()

    measured = measure(call, 0.25, clock=clock)
    assert measured.interrupted and not measured.budget_exhausted
    # the first call, four repeats: the one Stop landed in ended its call and counts
    assert measured.samples == pytest.approx([0.01, 0.01, 0.01, 0.01])
    assert measured.calls == 4
    assert ticks.calls == 5
    assert clock() == pytest.approx(0.05)  # stopped once: the frontend reads on


def test_stop_inside_a_long_probing_repeat_keeps_its_calls() -> None:
    # A fast machine probes with one call, then runs a hundred: Stop pressed
    # during them used to leave a row of no calls at all.
    ticks = Ticks([0.001] * 200)
    clock = StopClock(ticks.clock)

    def call() -> int:
        if ticks.calls == 30:
            clock.stop()
        return ticks.call()

    measured = measure(call, 60.0, clock=clock)
    assert measured.interrupted and (measured.calls, measured.number) == (100, 100)
    assert measured.samples == pytest.approx([0.001])
    assert ticks.calls == 102


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


# Costs in units of C = 2**-10 s and budgets of 25 * 8 C make the repeat target
# exactly 8 C, so the budget arithmetic below has no rounding.
C = 2.0**-10
BUDGET = 200 * C


def test_a_repeat_that_would_end_after_the_deadline_does_not_start() -> None:
    # first call C, a probe of C (8 calls wanted), then 8 calls of 4 C per repeat:
    # repeats end at 34 C, 66 C, ... 194 C; one more would end at 226 C > 201 C
    ticks = Ticks([C, C] + [4 * C] * 1000)
    measured = measure(ticks.call, BUDGET, clock=ticks.clock)
    assert measured.samples == [4 * C] * 6
    assert (measured.number, measured.calls, measured.budget_exhausted) == (8, 48, True)
    assert ticks.calls == 2 + 48


def test_a_repeat_that_ends_exactly_at_the_deadline_runs() -> None:
    # first call C, a probe of 4 C (2 calls wanted), then repeats of 2 calls of
    # 7 C: 14 repeats end exactly at the deadline, 1 + 200 C
    ticks = Ticks([C, 4 * C] + [7 * C] * 1000)
    measured = measure(ticks.call, BUDGET, clock=ticks.clock)
    assert measured.samples == [7 * C] * 14
    assert (measured.number, measured.calls, measured.budget_exhausted) == (2, 28, True)


def test_a_budget_of_zero_makes_only_the_first_call() -> None:
    ticks = Ticks([C] * 10, start=64.0)
    measured = measure(ticks.call, 0.0, clock=ticks.clock)
    assert (measured.first_call_s, measured.samples, ticks.calls) == (C, [], 1)
    assert measured.budget_exhausted


def test_the_calls_per_repeat_at_least_double_while_probing() -> None:
    # probe 1: 2 C per call, 4 wanted; probe 2: 4 calls of 1.75 C take 7 C < 8 C,
    # 5 wanted, but the number doubles to 8, and 8 calls fill a repeat
    ticks = Ticks([C, 2 * C] + [1.75 * C] * 4 + [C] * 1000)
    measured = measure(ticks.call, BUDGET, clock=ticks.clock, max_repeats=2)
    assert (measured.number, measured.samples) == (8, [C, C])
    assert ticks.calls == 1 + 1 + 4 + 16


def test_the_calls_per_repeat_grow_at_most_a_hundredfold_per_probe() -> None:
    # C / 128 per call would want 1024 calls at once: the probe is capped at 100
    ticks = Ticks([C / 128] * 10_000)
    measured = measure(ticks.call, BUDGET, clock=ticks.clock, max_repeats=1)
    assert (measured.number, measured.calls) == (1024, 1024)
    assert ticks.calls == 1 + 1 + 100 + 1024


def test_measuring_pauses_the_garbage_collector_and_restores_it() -> None:
    seen = []

    def call() -> None:
        seen.append(gc.isenabled())

    ticks = Ticks([C] * 100)
    measure(lambda: (call(), ticks.call()), BUDGET, clock=ticks.clock, max_repeats=1)
    assert gc.isenabled()
    assert seen[0] and not any(seen[1:])
    gc.disable()
    try:
        measure(lambda: ticks.call(), BUDGET, clock=ticks.clock, max_repeats=1)
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_ctrl_c_wrapped_by_a_framework_stops_like_ctrl_c() -> None:
    # XLA re-raises a KeyboardInterrupt from a host callback inside its own error
    ticks = Ticks([0.01] * 4)

    def call() -> int:
        if ticks.calls == 4:
            raise RuntimeError("INTERNAL: CpuCallback error: KeyboardInterrupt")
        return ticks.call()

    measured = measure(call, 0.25, clock=ticks.clock)
    assert measured.interrupted and not measured.budget_exhausted
    assert measured.samples == pytest.approx([0.01, 0.01, 0.01])
    row = TimingResult("f", "test", "cpu:0", "none")
    row.fill(measured)
    assert row.interrupted


def test_a_size_of_one_is_allowed_and_true_is_not() -> None:
    base = Options(device="cpu", backend="cvm", size=None, budget=1.0)
    assert options_for(base, {"size": 1}).size == 1
    for bad in (True, 0, "3", 2.5):
        with pytest.raises(DeviceError, match="positive whole number"):
            options_for(base, {"size": bad})


def test_a_run_makes_at_most_max_calls_calls_in_all_and_says_it_stopped_there() -> None:
    # 1 ms calls, budget 10 s: a repeat should last 0.2 s, so the probe of one
    # call asks for 100 next; only 48 are left, and they make the one sample
    ticks = Ticks([0.001] * 10_000)
    measured = measure(ticks.call, 10.0, clock=ticks.clock, max_calls=50)
    assert ticks.calls == measured.total == 50
    assert measured.capped and not measured.budget_exhausted
    assert (measured.number, measured.calls, measured.samples) == (48, 48, [pytest.approx(0.001)])
    row = TimingResult("f", "test", "cpu:0", "none")
    row.fill(measured)
    assert row.total_calls == 50
    assert row.notes == ["stopped at 50 calls, the most one run makes"]
    assert "total_calls" not in row.row()


def test_the_bound_ends_a_run_once_it_has_samples() -> None:
    # 0.5 s calls: each repeat is a sample of one call, and the fourth call ends the run
    ticks = Ticks([0.5] * 100)
    measured = measure(ticks.call, 10.0, clock=ticks.clock, max_calls=4)
    assert (ticks.calls, measured.calls, len(measured.samples), measured.capped) == (4, 3, 3, True)
    assert measure(Ticks([0.5] * 9).call, 10.0, max_calls=1).total == 1


def test_a_paused_clock_leaves_out_the_time_spent_making_copies() -> None:
    now = [0.0]
    paused = Paused(lambda: now[0])

    def copy() -> str:
        now[0] += 5.0
        return "fresh"

    assert paused.made(copy) == "fresh"
    now[0] += 1.0
    assert paused.clock() == 1.0
