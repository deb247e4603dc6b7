"""Where the time goes inside one call: seconds per graph node.

PyTensor fills its per-node profile (``ProfileStats.apply_time``) only with
the C VM, so a PyTensor profile always comes from a C VM compile of the same
graph, whatever backend was timed; its rewrites can differ from Numba's or
JAX's (BLAS ops, for one), and the result says so. JAX profiles come from
XLA itself: ``jax.profiler.trace`` writes an XSpace file whose events name
the HLO instruction (a fusion, mostly) that ran, read back with
``ProfileData`` so no TensorBoard is needed.

Colour keys match the graph model the frontends write: a PyTensor op node's
``op`` field (``str(apply.op)``), a JAX node's ``name`` (the HLO instruction,
which is also the label of a fusion subgraph).
"""

from __future__ import annotations

import glob
import os
import re
import tempfile
import time
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .devices import Devices
from .frontends import Options, Target
from .timing import (
    DEFAULT_SIZE,
    TimingError,
    backend_of,
    jax_flags_kept,
    made_input,
    put_on,
    pytensor_graph,
    shared_in,
    shared_kept,
)

TOP = 10
# Profiling runs are short: enough calls to average, not a timing run.
PROFILE_SECONDS = 0.5
MAX_PROFILE_CALLS = 200


@dataclass
class ProfileEntry:
    """One node's share of a call."""

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

    def top(self, n: int = TOP) -> list[ProfileEntry]:
        return self.entries[:n]

    def colours(self) -> dict[str, float]:
        """Graph colour map: node key -> fraction of the call, 0..1."""
        return {e.key: e.fraction for e in self.entries}

    def to_json(self, n: int = TOP) -> dict[str, Any]:
        return {
            "target": self.target,
            "framework": self.framework,
            "backend": self.backend,
            "timed_backend": self.timed_backend,
            "device": self.device,
            "calls": self.calls,
            "total_s": self.total_s,
            "top": [vars(e) for e in self.top(n)],
            "colours": self.colours(),
            "notes": self.notes,
        }


def _ranked(
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


def _run_for(call: Any, seconds: float) -> int:
    """Call until ``seconds`` have passed (at least once); the number of calls."""
    calls = 0
    deadline = time.perf_counter() + seconds
    while calls == 0 or (time.perf_counter() < deadline and calls < MAX_PROFILE_CALLS):
        call()
        calls += 1
    return calls


# -- PyTensor ----------------------------------------------------------------


def _profile_pytensor(target: Target, options: Options, devices: Devices) -> ProfileResult:
    import pytensor
    from pytensor.compile.debug.profiling import ProfileStats
    from pytensor.compile.mode import get_mode

    from .frontends.pytensor_rewrites import op_label

    graph = pytensor_graph(target)
    if graph is None:
        raise TimingError(
            f"{target.name} was compiled outside %%tgraph: its graph as written is gone, so "
            "it cannot be compiled again for the C VM's per-node profile"
        )
    cvm = devices.backends.get("cvm")
    if cvm is not None and not cvm.available:
        raise TimingError(f"PyTensor's per-node profile needs the C VM: {cvm.reason}")
    own = backend_of(graph.mode) if graph.mode is not None else backend_of(get_mode(None))
    timed = options.backend or own
    result = ProfileResult(target.name, "pytensor", "cvm", "cpu:0", timed_backend=timed)
    if timed != "cvm":
        result.notes.append(
            f"per-node times come from the C VM (PyTensor profiles no other backend); "
            f"{timed} may rewrite the graph differently"
        )
    stats = ProfileStats(atexit_print=False)
    with jax_flags_kept(), shared_kept(shared_in(None, graph)):
        fn = pytensor.function(
            graph.inputs,
            graph.outputs,
            mode=get_mode("CVM"),
            updates=graph.updates,
            givens=graph.givens,
            on_unused_input="ignore",
            profile=stats,
        )
        rng = np.random.default_rng(0)
        explicit = [i for i in fn.maker.inputs if not i.shared]
        size = options.size or DEFAULT_SIZE
        values = (
            list(target.args)
            if target.args is not None
            else [made_input(i.variable, size, rng) for i in explicit]
        )
        fn(*values)  # the first call allocates; keep it out of the profile
        stats.apply_time.clear()
        stats.apply_callcount.clear()
        result.calls = _run_for(lambda: fn(*values), min(options.budget, PROFILE_SECONDS))
    times: dict[str, float] = defaultdict(float)
    counts: dict[str, int] = defaultdict(int)
    labels: dict[str, str] = {}
    for (_fgraph, node), seconds in stats.apply_time.items():
        key = str(node.op)
        times[key] += seconds
        counts[key] += 1
        labels[key] = op_label(node.op)
    result.entries, result.total_s = _ranked(times, labels, counts, result.calls)
    return result


# -- JAX ---------------------------------------------------------------------

_MODULE = re.compile(r"^HloModule ([\w.\-]+)", re.MULTILINE)


def hlo_op_times(xspace: str, module: str | None = None) -> tuple[dict[str, float], int]:
    """Seconds per HLO instruction in a profile file, and how many runs it saw.

    GPU planes carry an "XLA Ops" line per stream; when one exists only those
    lines count, so module-level events are not counted twice. On the CPU the
    thunk executor's events are the ops themselves.
    """
    from jax.profiler import ProfileData

    data = ProfileData.from_file(xspace)
    lines = []
    for plane in data.planes:
        ops = [line for line in plane.lines if line.name == "XLA Ops"]
        lines += ops or list(plane.lines)
    times: dict[str, float] = defaultdict(float)
    runs: set[Any] = set()
    for line in lines:
        for event in line.events:
            stats = dict(event.stats)
            op = stats.get("hlo_op")
            if not op or (module and stats.get("hlo_module") not in (module, None)):
                continue
            times[str(op)] += event.duration_ns * 1e-9
            runs.add(stats.get("run_id"))
    return dict(times), len(runs)


def _profile_jax(target: Target, options: Options, devices: Devices) -> ProfileResult:
    import jax

    device = devices.resolve(options.device)
    if target.args is None:
        raise TimingError(f"no arguments known for {target.name}: e.g. %%tgraph {target.name}(x)")
    jitted = target.obj if hasattr(target.obj, "lower") else jax.jit(target.obj)
    result = ProfileResult(target.name, "jax", "xla", device.name)
    with jax_flags_kept(), tempfile.TemporaryDirectory(prefix="tgraph-profile-") as folder:
        args, kwargs = jax.block_until_ready(put_on((target.args, target.kwargs or {}), device))
        text = jitted.lower(*args, **kwargs).compile().as_text()
        found = _MODULE.search(text)
        module = found.group(1) if found else None

        def call() -> Any:
            return jax.block_until_ready(jitted(*args, **kwargs))

        call()
        try:
            with jax.profiler.trace(folder):
                result.calls = _run_for(call, min(options.budget, PROFILE_SECONDS))
        except RuntimeError as error:  # e.g. the user has a trace running already
            raise TimingError(f"JAX's profiler could not start: {error}") from error
        files = glob.glob(os.path.join(folder, "**", "*.xplane.pb"), recursive=True)
        if not files:
            raise TimingError("JAX's profiler wrote no trace")
        times, runs = hlo_op_times(files[0], module)
    if runs and runs != result.calls:
        result.notes.append(f"the trace holds {runs} runs of {result.calls} calls")
    result.entries, result.total_s = _ranked(times, {}, {}, runs or result.calls)
    if not result.entries:
        result.notes.append("the trace named no HLO ops for this function")
    return result


def profile_target(target: Target, options: Options, devices: Devices) -> ProfileResult:
    """Per-node seconds of one call of ``target``; ``TimingError`` says why not."""
    if target.framework == "jax":
        return _profile_jax(target, options, devices)
    if target.framework == "pytensor":
        return _profile_pytensor(target, options, devices)
    raise TimingError(f"cannot profile {target.framework} targets")
