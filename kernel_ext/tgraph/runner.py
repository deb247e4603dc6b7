"""What the timing panel's buttons run: one target, through its own frontend.

The magic makes one ``Runner`` per widget and hands the widget its ``time``,
``profile`` and ``devices`` methods, so the widget imports no framework and a
request from the front end can only ever time or profile the target it was
built for, with options checked by ``options_for``. Every row is also
recorded in the registry, so the side panel lists the latest timing of each
graph. Devices are discovered here, the first time timing needs them.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from .devices import DeviceCache, DeviceError, Devices
from .messages import DevicesJSON, ProfileJSON, TimingRowJSON
from .protocol import Frontend, Options, Target
from .quiet import quiet
from .timing import EFFECT_CALLS, LONG_BUDGET_S, MAX_CALLS, Clock, TimingError


@contextmanager
def global_rngs_kept() -> Iterator[None]:
    """NumPy's and Python's global random states as they were.

    Discovering devices imports a framework, and importing JAX draws from
    NumPy's global generator: the user's next ``np.random.rand()`` must be
    the plain notebook's.
    """
    numpy_state, python_state = np.random.get_state(), random.getstate()
    try:
        yield
    finally:
        np.random.set_state(numpy_state)
        random.setstate(python_state)


def devices_of(frontend: Frontend, cache: DeviceCache) -> Devices:
    """The frontend's devices, discovered once per kernel, silently, leaving
    the global random states alone."""

    def discover() -> Devices:
        with quiet(), global_rngs_kept():
            return frontend.devices()

    return cache.get(frontend.framework, discover)


def host_fallback(options: Options, devices: Devices) -> tuple[Options, str]:
    """Options the graphs can be built with, and why the requested device is unusable.

    A missing GPU must not cost the user their graphs: they are built for
    the host CPU instead, and the message (the framework's own reason
    included) says so. The timing panel reports the same error for the
    requested device.
    """
    try:
        devices.resolve(options.device)
    except DeviceError as error:
        return replace(options, device="cpu"), f"{error}; the graphs shown are the CPU's."
    return options, ""


@dataclass
class Runner:
    """Times and profiles one target; ``record`` receives every timing row."""

    frontend: Frontend
    target: Target
    options: Options
    cache: DeviceCache
    record: Callable[[TimingRowJSON], None]
    #: Builds the pending views, which makes a lazily made graph (a PyMC
    #: model's) and so tells its effects; the automatic run waits for them.
    settle: Callable[[], None] = lambda: None

    def devices(self) -> DevicesJSON:
        """The devices, with the magic line's device (if any) as the one chosen at first."""
        found = devices_of(self.frontend, self.cache).to_json()
        if self.options.device:
            found["default"] = self.options.device.lower().removesuffix(":0")
        return found

    def notice(self) -> str:
        """What the timing panel says before any run: why a program with side
        effects is not timed by itself, or how long a long budget may take."""
        effects, options = self.target.effects, self.options
        if effects:
            return (
                f"not timed by itself: {effects}. Run times it anyway and runs it "
                f"about {EFFECT_CALLS} times"
            )
        if options.budget >= LONG_BUDGET_S:
            calls = options.max_calls or MAX_CALLS
            return f"timing runs for up to {options.budget:g} s and at most {calls:,} calls"
        return ""

    def time(self, request: dict[str, Any], clock: Clock = time.perf_counter) -> TimingRowJSON:
        """One timing row for ``request`` (``{device, backend, size}``, each optional),
        measured with ``clock`` (a ``timing.StopClock`` lets the panel stop it).

        A program with side effects runs only when asked (Run), a bounded
        number of times, and its row says how many; the widget's automatic
        request (``automatic``) is refused with the panel's reason, once the
        graph is made, since a lazily made one tells its effects only then.
        """
        options = options_for(self.options, request)
        automatic = request.get("automatic", False)
        if not isinstance(automatic, bool):
            raise DeviceError(f"bad timing request: {request!r}")
        if automatic:
            self.settle()
        effects = self.target.effects
        if effects and automatic:
            raise TimingError(self.notice())
        if effects:
            options = replace(options, max_calls=EFFECT_CALLS)
        devices = devices_of(self.frontend, self.cache)
        with quiet():  # a print in the user's function runs once per call
            result = self.frontend.time(self.target, options, devices, clock)
        if effects:
            result.notes.append(
                f"ran anyway with its side effects: {result.total_calls} calls of "
                f"{self.target.name}"
            )
        row = result.row()
        self.record(row)
        return row

    def profile(self, request: dict[str, Any]) -> ProfileJSON:
        """``ProfileResult.to_json()`` for ``request``: seconds per node of one call."""
        if self.target.effects:
            raise TimingError(f"not profiled: {self.target.effects}, and a profile would run it")
        options = options_for(self.options, request)
        devices = devices_of(self.frontend, self.cache)
        with quiet():
            return self.frontend.profile(self.target, options, devices).to_json()


def options_for(base: Options, request: dict[str, Any]) -> Options:
    """The timing view's ``{device, backend, size}`` over the magic's options.

    The request comes from the front end, so each field is checked here and
    a bad one raises ``DeviceError`` rather than reaching a framework.
    """
    device = request.get("device") or base.device
    # "auto" in the view (None) lets the kernel choose, e.g. JAX on a GPU
    backend = request.get("backend", base.backend) or None
    size = request.get("size")
    if not isinstance(device, str) or not (backend is None or isinstance(backend, str)):
        raise DeviceError(f"bad timing request: {request!r}")
    if size is not None and (not isinstance(size, int) or isinstance(size, bool) or size < 1):
        raise DeviceError(f"size must be a positive whole number, not {size!r}")
    return replace(base, device=device, backend=backend, size=size or base.size)
