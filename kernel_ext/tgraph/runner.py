"""What the timing panel's buttons run: one target, through its own frontend.

The magic makes one ``Runner`` per widget and hands the widget its ``time``,
``profile`` and ``devices`` methods, so the widget imports no framework and a
request from the front end can only ever time or profile the target it was
built for, with options checked by ``options_for``. Every row is also
recorded in the registry, so the side panel lists the latest timing of each
graph. Devices are discovered here, the first time timing needs them.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from .devices import DeviceCache, DeviceError, Devices
from .messages import DevicesJSON, ProfileJSON, TimingRowJSON
from .protocol import Frontend, Options, Target
from .quiet import quiet
from .timing import Clock


def devices_of(frontend: Frontend, cache: DeviceCache) -> Devices:
    """The frontend's devices, discovered once per kernel and silently."""

    def discover() -> Devices:
        with quiet():
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

    def devices(self) -> DevicesJSON:
        return devices_of(self.frontend, self.cache).to_json()

    def time(self, request: dict[str, Any], clock: Clock = time.perf_counter) -> TimingRowJSON:
        """One timing row for ``request`` (``{device, backend, size}``, each optional),
        measured with ``clock`` (a ``timing.StopClock`` lets the panel stop it)."""
        options = options_for(self.options, request)
        devices = devices_of(self.frontend, self.cache)
        with quiet():  # a print in the user's function runs once per call
            row = self.frontend.time(self.target, options, devices, clock).row()
        self.record(row)
        return row

    def profile(self, request: dict[str, Any]) -> ProfileJSON:
        """``ProfileResult.to_json()`` for ``request``: seconds per node of one call."""
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
