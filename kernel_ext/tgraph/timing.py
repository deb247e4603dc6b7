"""The framework-neutral core of timing: how a call is measured and reported.

Three numbers answer different questions, so they are measured apart:
compiling, the first call (a JIT such as Numba compiles here), and the
steady state, measured like ``timeit``: the number of calls per repeat grows
until one repeat takes long enough for the clock, then repeats run until
the budget is spent. A budget and Ctrl-C both stop cleanly with what was
measured so far.

Each frontend times its own framework (``Frontend.time``) with ``measure``
and reports a ``TimingResult``; asynchronous frameworks pass a ``sync`` that
waits for the outputs. Nothing here knows a framework.
"""

from __future__ import annotations

import gc
import math
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any, cast

import numpy as np

from .messages import TimingRowJSON

DEFAULT_SIZE = 100
MAX_REPEATS = 20
#: The most calls one run makes, first and probing calls included: a budget
#: is time, and a fast function would otherwise be called millions of times.
MAX_CALLS = 1_000_000
#: A budget from which the panel says, before the run, how long it may take.
LONG_BUDGET_S = 10.0
#: The most calls of a program with side effects, when the user times it anyway.
EFFECT_CALLS = 100
# One repeat should last this long at most; small budgets scale it down.
REPEAT_SECONDS = 0.2
Clock = Callable[[], float]


class StopClock:
    """The clock a run reads, which the panel's Stop button can stop.

    Every frontend measures through the clock it is handed and already ends
    a run cleanly on Ctrl-C, keeping what it measured; after ``stop()`` the
    next reading raises ``KeyboardInterrupt`` (once), so Stop ends a run the
    same way, between two calls of the user's function. ``stop`` may be called
    from any thread (a comm message can land on a kernel subshell's).
    """

    def __init__(self, clock: Clock = time.perf_counter) -> None:
        self._clock = clock
        self._stop = threading.Event()

    def __call__(self) -> float:
        if self._stop.is_set():
            self._stop.clear()  # once, as one Ctrl-C: the frontend still reads the time after
            raise KeyboardInterrupt("stopped from the timing panel")
        return self._clock()

    def stop(self) -> None:
        self._stop.set()


class TimingError(Exception):
    """A target that cannot be timed as asked; the message is shown as is."""


@dataclass
class Measurement:
    """What ``measure`` saw; partial when stopped by the budget or Ctrl-C."""

    first_call_s: float | None = None
    samples: list[float] = field(default_factory=list)
    number: int = 0
    calls: int = 0
    interrupted: bool = False
    budget_exhausted: bool = False
    last: Any = None
    #: Every call made, the first and the probing ones included.
    total: int = 0
    #: Stopped at ``max_calls`` rather than by the budget.
    capped: bool = False


class Paused:
    """A clock that stops while the run makes copies for the next call.

    A call that destroys its inputs needs fresh ones every time; copying
    them is not the call's time, so ``clock`` leaves it out and ``measure``
    times the calls alone.
    """

    def __init__(self, clock: Clock) -> None:
        self.base = clock
        self.paused = 0.0

    def clock(self) -> float:
        return self.base() - self.paused

    def made(self, make: Callable[[], Any]) -> Any:
        begin = self.base()
        try:
            return make()
        finally:
            self.paused += self.base() - begin


def repeat_seconds(budget: float) -> float:
    """How long one repeat should last: ~0.2 s, less when the budget is small."""
    return min(REPEAT_SECONDS, max(budget, 0.0) / (MAX_REPEATS + 5))


def measure(
    call: Callable[[], Any],
    budget: float,
    sync: Callable[[Any], Any] = lambda out: out,
    clock: Clock = time.perf_counter,
    max_repeats: int = MAX_REPEATS,
    max_calls: int = MAX_CALLS,
) -> Measurement:
    """First call, then timeit-style repeats until ``max_repeats``, the budget
    or ``max_calls`` calls in all.

    The budget counts after the first call, which is Numba's compile: a
    budget smaller than that would leave nothing to measure. A repeat starts
    only if it should end before the deadline, except that one steady-state
    repeat always runs, so a slow function still gets a number.
    Samples are seconds per call, one per repeat; the calls of the probing
    repeats (while the number of calls per repeat grows) are not in them,
    except when the run is stopped inside one: its ended calls are the last
    sample.
    """
    result = Measurement()
    target = repeat_seconds(budget)
    gc_was_enabled = gc.isenabled()
    repeat = _Repeat()
    try:
        start = clock()
        result.total = 1
        result.last = sync(call())
        result.first_call_s = clock() - start
        deadline = start + result.first_call_s + budget
        gc.disable()  # as timeit does: a collection would land in a random sample
        number, fixed = 1, False
        per_call = result.first_call_s
        while len(result.samples) < max_repeats:
            now = clock()
            late = now >= deadline or now + per_call * number > deadline
            if late and (result.samples or now >= deadline):
                result.budget_exhausted = True
                break
            left = max_calls - result.total
            if left < number and (result.samples or left < 1):
                result.capped = True
                break
            if left < number:  # the calls left make the one sample there will be
                number, fixed = left, True
            repeat.start(clock(), result.total)
            repeat.run(call, sync, number, result)
            elapsed = repeat.close(clock)
            per_call = elapsed / number
            if fixed or elapsed >= target:
                fixed = True
                result.number = number
                result.samples.append(per_call)
                result.calls += number
            else:
                wanted = math.ceil(target / max(per_call, 1e-9))
                number = min(max(wanted, number * 2), number * 100)
    except KeyboardInterrupt:
        result.interrupted = True
    except Exception as error:
        if "KeyboardInterrupt" not in str(error):
            raise
        result.interrupted = True  # Ctrl-C inside a host callback, wrapped by XLA
    finally:
        if gc_was_enabled:
            gc.enable()
    repeat.keep(result, clock)
    return result


@dataclass
class _Repeat:
    """The repeat in progress, so that Stop or Ctrl-C inside it keeps its ended calls.

    Stop lands at a clock reading, after the repeat's calls ended; Ctrl-C may
    land inside a call, whose part-time then counts with the others.
    """

    begin: float = 0.0
    total_before: int = 0
    ended: bool = False
    open: bool = False

    def start(self, now: float, total: int) -> None:
        self.begin, self.total_before, self.ended, self.open = now, total, False, True

    def run(
        self, call: Callable[[], Any], sync: Callable[[Any], Any], number: int, result: Measurement
    ) -> None:
        for _ in range(number):
            result.total += 1
            result.last = sync(call())
        self.ended = True

    def close(self, clock: Clock) -> float:
        """Seconds since the start; a Stop landing on this reading leaves the repeat open."""
        elapsed = clock() - self.begin
        self.open = False
        return elapsed

    def keep(self, result: Measurement, clock: Clock) -> None:
        """The ended calls of a repeat a stop cut short, as the last sample."""
        if not (result.interrupted and self.open):
            return
        calls = result.total - self.total_before - (0 if self.ended else 1)
        if calls > 0:
            result.samples.append((clock() - self.begin) / calls)
            result.calls += calls
            result.number = result.number or calls


@dataclass
class TimingResult:
    """One row of the timing table, plus what it needs to be trusted."""

    target: str
    framework: str
    device: str
    backend: str
    compile_s: float | None = None
    compile_cached: bool | None = None
    first_call_s: float | None = None
    samples: list[float] = field(default_factory=list)
    number: int = 0
    calls: int = 0
    transfer_s: float | None = None
    signature: str = ""
    input_devices: list[str] = field(default_factory=list)
    output_devices: list[str] = field(default_factory=list)
    on_device: bool | None = None
    budget_s: float = 0.0
    elapsed_s: float = 0.0
    interrupted: bool = False
    budget_exhausted: bool = False
    error: str | None = None
    notes: list[str] = field(default_factory=list)
    #: Every call the run made (first and probing calls included), for the
    #: notes of a run with side effects; not a column of the table.
    total_calls: int = 0

    @property
    def median_s(self) -> float | None:
        return float(np.median(self.samples)) if self.samples else None

    @property
    def min_s(self) -> float | None:
        return min(self.samples) if self.samples else None

    @property
    def iqr_s(self) -> float | None:
        if not self.samples:
            return None
        low, high = np.percentile(self.samples, [25, 75])
        return float(high - low)

    def row(self) -> TimingRowJSON:
        """A JSON-ready dict for the table, the plot and the registry."""
        data = asdict(self)
        del data["total_calls"]
        data.update(median_s=self.median_s, iqr_s=self.iqr_s, min_s=self.min_s)
        return cast(TimingRowJSON, data)

    def fill(self, measured: Measurement) -> None:
        """Copy what ``measure`` saw into this row."""
        self.first_call_s = measured.first_call_s
        self.samples = measured.samples
        self.number = measured.number
        self.calls = measured.calls
        self.total_calls = measured.total
        if measured.capped:
            self.notes.append(f"stopped at {measured.total:,} calls, the most one run makes")
        self.interrupted = self.interrupted or measured.interrupted
        self.budget_exhausted = measured.budget_exhausted
