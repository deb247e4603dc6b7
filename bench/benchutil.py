"""What every bench script shares: a median of timed runs, and the CPU it ran on."""

from __future__ import annotations

import platform
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any


def median(fn: Callable[[], Any], runs: int) -> float:
    """Median wall time of ``runs`` calls: robust to the odd run disturbed by other jobs."""
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def build_all(frontend: Any, target: Any, options: Any, cell: Any) -> Any:
    """Every view of ``target``, as ``--sync`` builds them: the cell's and the later ones."""
    traced = frontend.trace(target, options, cell)
    traced.build_all()
    return traced.bundle
