"""Where the time goes inside one call: seconds per graph node, neutrally.

Each frontend profiles its own framework (``Frontend.profile``): PyTensor
through its per-node ``ProfileStats``, JAX through XLA's own trace. Both
report a ``ProfileResult`` whose entry keys are node ids of one view
(``ProfileResult.view``), so the widget colours nodes without knowing which
framework measured them.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any, cast

from .messages import ProfileEntryJSON, ProfileJSON

TOP = 10
# Profiling runs are short: enough calls to average, not a timing run.
PROFILE_SECONDS = 0.5
MAX_PROFILE_CALLS = 200


@dataclass
class ProfileEntry:
    """One node's share of a call; ``key`` is a node id of the profiled view."""

    key: str
    label: str
    seconds: float
    fraction: float
    count: int = 1


@dataclass
class ProfileResult:
    """Per-node seconds per call, largest first."""

    target: str
    framework: str
    backend: str
    device: str
    entries: list[ProfileEntry] = field(default_factory=list)
    calls: int = 0
    total_s: float = 0.0
    timed_backend: str | None = None
    notes: list[str] = field(default_factory=list)
    #: The view whose node ids key ``ProfileEntry.key``.
    view: str = "optimized"

    def top(self, n: int = TOP) -> list[ProfileEntry]:
        return self.entries[:n]

    def colours(self) -> dict[str, float]:
        """Graph colour map: node key -> fraction of the call, 0..1."""
        return {e.key: e.fraction for e in self.entries}

    def to_json(self, n: int = TOP) -> ProfileJSON:
        return {
            "target": self.target,
            "framework": self.framework,
            "backend": self.backend,
            "timed_backend": self.timed_backend,
            "device": self.device,
            "view": self.view,
            "calls": self.calls,
            "total_s": self.total_s,
            "top": [cast(ProfileEntryJSON, vars(e)) for e in self.top(n)],
            "colours": self.colours(),
            "notes": self.notes,
        }


def ranked(
    times: dict[str, float], labels: dict[str, str], counts: dict[str, int], calls: int
) -> tuple[list[ProfileEntry], float]:
    per_call = {k: t / max(calls, 1) for k, t in times.items()}
    total = sum(per_call.values())
    entries = [
        ProfileEntry(k, labels.get(k, k), s, s / total if total else 0.0, counts.get(k, 1))
        for k, s in per_call.items()
    ]
    entries.sort(key=lambda e: e.seconds, reverse=True)
    return entries, total


def run_for(call: Any, seconds: float) -> int:
    """Call until ``seconds`` have passed (at least once); the number of calls."""
    calls = 0
    deadline = time.perf_counter() + seconds
    while calls == 0 or (time.perf_counter() < deadline and calls < MAX_PROFILE_CALLS):
        call()
        calls += 1
    return calls
