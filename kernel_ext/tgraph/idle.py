"""Run tgraph's work on the kernel's main thread, after the user's cells.

Requests from the browser (build a view, find devices, time, profile) do
not arrive in order with the cells: JupyterLab 4.6 with ipykernel 7 sends
comm messages over kernel subshells, each on a thread of its own, and even
on the main shell ipykernel dispatches a comm message while a cell awaits.
Doing the work where the message lands would race the user's cells (and
each other) inside PyTensor and JAX, which are not thread-safe, and would
take time from cells the user has queued.

So every request becomes a job on this queue. Jobs run on the thread of the
kernel's event loop, one at a time, when no cell is running; heavy jobs
also wait until no cell has ended for ``settle`` seconds, so Run All runs
every cell before the first view is built or the first timing starts. A
view someone waits for goes before timing: a widget scrolled to after five
others asked to be timed shows its views at once, not ten seconds later.
Without a kernel event loop (a plain IPython shell, tests) a job runs at once.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections import deque
from collections.abc import Callable
from enum import IntEnum

log = logging.getLogger(__name__)

#: Seconds without a cell before heavy work starts: longer than the gap
#: between two queued cells, short enough not to be noticed.
SETTLE_S = 0.3

Job = Callable[[], None]


class Kind(IntEnum):
    """When a job may run; of those that may, the lowest kind runs first."""

    #: As soon as no cell runs (a rewrite's source text).
    LIGHT = 0
    #: Once the cells have settled: what someone is looking at (views, values, the panel).
    SHOWN = 1
    #: Once the cells have settled and no ``SHOWN`` job waits (devices, timing, profiles).
    BACKGROUND = 2


class IdleQueue:
    """Jobs for the main thread, light ones as soon as it is free, heavy ones when idle."""

    def __init__(self, settle: float = SETTLE_S, clock: Callable[[], float] = time.monotonic):
        self.settle = settle
        self._clock = clock
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._jobs: deque[tuple[Job, Kind]] = deque()
        self._lock = threading.Lock()
        self._in_cell = False
        self._last_cell_end = -float("inf")
        self._waiting = False
        #: A pump is scheduled on the loop: one at a time, so each job is
        #: chosen among everything that arrived before it ran.
        self._woken = False

    # -- the kernel's cells (IPython events, on the main thread) -----------------

    def cell_started(self) -> None:
        self._in_cell = True
        if self._loop is None:
            try:
                self._loop = asyncio.get_running_loop()
                self._thread = threading.current_thread()
            except RuntimeError:  # a plain IPython shell runs cells without a loop
                pass

    def cell_ended(self) -> None:
        self._in_cell = False
        self._last_cell_end = self._clock()
        if self._jobs:
            self._wake()

    # -- jobs ------------------------------------------------------------------------

    def submit(self, job: Job, kind: Kind = Kind.SHOWN) -> None:
        """Run ``job`` on the main thread when it is free, and idle unless ``LIGHT``."""
        if self._loop is None or self._loop.is_closed():
            self._run(job)
            return
        with self._lock:
            self._jobs.append((job, kind))
        self._wake()

    def pending(self) -> int:
        return len(self._jobs)

    def _wake(self) -> None:
        loop = self._loop
        if loop is None or loop.is_closed():
            return
        with self._lock:
            if self._woken:
                return
            self._woken = True
        if threading.current_thread() is self._thread:
            loop.call_soon(self._pump)
        else:
            loop.call_soon_threadsafe(self._pump)

    def _pump(self) -> None:
        """Run one job that may run now, then let the loop read the kernel's
        messages (a request for a view may have come in) before the next;
        come back later for heavy jobs while cells are recent."""
        with self._lock:
            self._woken = False
        if self._in_cell:
            return  # cell_ended pumps again
        with self._lock:
            if not self._jobs:
                return
            quiet_for = self._clock() - self._last_cell_end
            settled = quiet_for >= self.settle
            # the lowest kind that may run now, first come first within it
            best = min(
                ((kind, i) for i, (_, kind) in enumerate(self._jobs) if settled or not kind),
                default=None,
            )
            if best is None:
                self._later(self.settle - quiet_for)
                return
            job, _ = self._jobs[best[1]]
            del self._jobs[best[1]]
        try:
            self._run(job)
        finally:
            if self._jobs:
                self._wake()

    def _later(self, delay: float) -> None:
        if self._waiting or self._loop is None:
            return
        self._waiting = True

        def again() -> None:
            self._waiting = False
            self._pump()

        self._loop.call_later(delay, again)

    @staticmethod
    def _run(job: Job) -> None:
        try:
            job()
        except KeyboardInterrupt:
            log.info("tgraph: a job was interrupted")
        except Exception:  # a tgraph bug must never reach the kernel's loop
            log.exception("tgraph: a job failed")
