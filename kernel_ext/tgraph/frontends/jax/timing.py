"""Running a JAX target: timing and per-op profiles.

JAX dispatches asynchronously, so every call waits for its outputs
(``block_until_ready``); inputs are put on the device first and that
transfer is timed apart. Donated arguments are copied afresh for every
call, outside the timed region, so no call meets a deleted buffer and the
user's own arrays are never donated. XLA writes its logs straight to the
process's stderr, which a notebook shows in the cell: tgraph's own
compiles and probes run inside ``tgraph.quiet.quiet``.
"""

from __future__ import annotations

import glob
import os
import re
import tempfile
from collections import defaultdict
from collections.abc import Callable
from typing import Any

import jax

from ...devices import Device, DeviceError, Devices
from ...profile import ProfileResult, ranked, run_for
from ...quiet import quiet
from ...timing import MAX_CALLS, Clock, TimingError, TimingResult, measure
from .._jaxconfig import jax_flags_kept, placed_on
from .devices import device_names
from .inputs import Placement, dynamic_map, lay_out, tree_signature

# Profiling runs are short: enough calls to average, not a timing run.
PROFILE_SECONDS = 0.5
_MODULE = re.compile(r"^HloModule ([\w.\-]+)", re.MULTILINE)


def compile_cache_misses() -> int | None:
    """Misses of JAX's in-memory compilation cache: a private counter, so optional."""
    try:
        from jax._src.interpreters import pxla

        return int(pxla._cached_compilation.cache_info().misses)
    except Exception:  # absent or renamed in another JAX version
        return None


class Fresh:
    """Fresh copies of the donated arguments for each call, copy time kept apart.

    ``clock`` is the caller's clock minus the time spent copying, so
    ``measure`` times the calls alone.
    """

    def __init__(
        self,
        lowered: Any,
        args: tuple[Any, ...],
        kwargs: dict[str, Any],
        static: set[Any],
        clock: Clock,
    ) -> None:
        self.args, self.kwargs, self.base = args, kwargs, clock
        self.paused = 0.0
        flags = [
            bool(getattr(a, "donated", False)) for a in jax.tree_util.tree_leaves(lowered.args_info)
        ]
        self.static = static
        self.donated = flags
        self.any = any(flags)

    def clock(self) -> float:
        return self.base() - self.paused

    def take(self) -> tuple[tuple[Any, ...], dict[str, Any]]:
        if not self.any:
            return self.args, self.kwargs
        begin = self.base()
        dyn = tuple(a for i, a in enumerate(self.args) if i not in self.static)
        leaves, tree = jax.tree_util.tree_flatten((dyn, self.kwargs))
        copies = [
            x.copy() if donated and isinstance(x, jax.Array) else x
            for x, donated in zip(leaves, self.donated, strict=False)
        ]
        jax.block_until_ready(copies)
        new_dyn, kwargs = jax.tree_util.tree_unflatten(tree, copies)
        it = iter(new_dyn)
        args = tuple(a if i in self.static else next(it) for i, a in enumerate(self.args))
        self.paused += self.base() - begin
        return args, kwargs


def time_program(
    name: str,
    jitted: Any,
    inputs: tuple[tuple[Any, ...], dict[str, Any]],
    static: set[Any],
    budget: float,
    device: Device,
    devices: Devices,
    clock: Clock,
    mesh: Placement | None = None,
    max_calls: int = MAX_CALLS,
) -> TimingResult:
    """One timing row of ``jitted`` on ``inputs`` (statics pass through as given).

    With ``mesh`` the inputs are laid out with their own shardings instead of
    put on ``device``, and the row is the mesh's.
    """
    if device.handle is None and mesh is None:
        raise DeviceError(f"JAX cannot run on {device.name}")
    label = device.name if mesh is None else mesh.label
    result = TimingResult(name, "jax", label, "xla", budget_s=budget)
    result.signature = tree_signature(*inputs, static)
    names = device_names(devices)
    start = clock()
    try:
        with jax_flags_kept(), quiet():
            begin = clock()
            args, kwargs = lay_out(inputs, static, device, mesh)
            result.transfer_s = clock() - begin
            result.input_devices = placed_on(dynamic_map(lambda a: a, args, kwargs, static), names)
            misses = compile_cache_misses()
            begin = clock()
            lowered = jitted.lower(*args, **kwargs)
            lowered.compile()
            result.compile_s = clock() - begin
            after = compile_cache_misses()
            if misses is not None and after is not None:
                result.compile_cached = after == misses
                if result.compile_cached:
                    result.notes.append(
                        "compiled earlier in this kernel: compile time is JAX's cache lookup"
                    )
            fresh = Fresh(lowered, args, kwargs, static, clock)
            if fresh.any:
                result.notes.append(
                    "donated arguments are copied afresh for every call, outside the timing"
                )

            def call() -> Any:
                a, k = fresh.take()
                return jitted(*a, **k)

            measured = measure(
                call, budget, sync=jax.block_until_ready, clock=fresh.clock, max_calls=max_calls
            )
            result.fill(measured)
            result.output_devices = placed_on(measured.last, names)
    except KeyboardInterrupt:
        result.interrupted = True
    except Exception as error:  # the user's function may raise anything
        result.error = f"{type(error).__name__}: {error}"
    result.elapsed_s = clock() - start
    placed = result.input_devices + result.output_devices
    allowed = {device.name} if mesh is None else set(mesh.devices)
    result.on_device = bool(placed) and all(p in allowed for p in placed)
    if mesh is not None:
        result.notes.append(f"ran on {mesh.label}: {', '.join(mesh.devices)}")
    return result


# -- profile -----------------------------------------------------------------------


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


#: Compiler options that leave each GPU kernel its own launch (and its own name).
_KERNELS_NAMED = {"xla_gpu_enable_command_buffer": ""}


def profile_program(
    name: str,
    jitted: Any,
    inputs: tuple[tuple[Any, ...], dict[str, Any]],
    static: set[Any],
    budget: float,
    device: Device,
    node_ids: Callable[[str], dict[str, str]],
    mesh: Placement | None = None,
) -> ProfileResult:
    """Seconds per node of the optimized view, from XLA's own trace of a few calls.

    ``node_ids`` maps the compiled program's HLO text to {instruction: node id}
    of the optimized view built from that same text. On a mesh every device
    runs every instruction, collectives included: a node's time is the mean
    over the devices.
    """
    result = ProfileResult(name, "jax", "xla", device.name if mesh is None else mesh.label)
    with jax_flags_kept(), quiet(), tempfile.TemporaryDirectory(prefix="tgraph-profile-") as folder:
        args, kwargs = lay_out(inputs, static, device, mesh)
        lowered = jitted.lower(*args, **kwargs)
        # XLA's GPU runs kernels in command buffers (CUDA graphs), which the
        # trace names as one op no view holds: profile a build without them
        whole = device.kind == "gpu" and mesh is None and not static
        compiled = lowered.compile(**({"compiler_options": _KERNELS_NAMED} if whole else {}))
        text = compiled.as_text() or ""
        run = compiled if whole else jitted
        if whole:
            result.notes.append(
                "profiled with XLA's command buffers off, so that each kernel is named; "
                "the program itself runs them as CUDA graphs"
            )
        found = _MODULE.search(text)
        module = found.group(1) if found else None
        fresh = Fresh(lowered, args, kwargs, static, lambda: 0.0)

        def call() -> Any:
            a, k = fresh.take()
            return jax.block_until_ready(run(*a, **k))

        call()
        try:
            with jax.profiler.trace(folder):
                result.calls = run_for(call, min(budget, PROFILE_SECONDS))
        except RuntimeError as error:  # e.g. the user has a trace running already
            raise TimingError(f"JAX's profiler could not start: {error}") from error
        files = glob.glob(os.path.join(folder, "**", "*.xplane.pb"), recursive=True)
        if not files:
            raise TimingError("JAX's profiler wrote no trace")
        times, runs = hlo_op_times(files[0], module)
    if mesh is not None:
        times = {op: seconds / len(mesh.devices) for op, seconds in times.items()}
        result.notes.append(f"seconds per op are the mean over the {len(mesh.devices)} devices")
    ids = node_ids(text)
    by_id: dict[str, float] = defaultdict(float)
    labels: dict[str, str] = {}
    counts: dict[str, int] = defaultdict(int)
    for op, seconds in times.items():
        key = ids.get(op, op)
        by_id[key] += seconds
        labels[key] = op
        counts[key] += 1
    if runs and runs != result.calls:
        result.notes.append(f"the trace holds {runs} runs of {result.calls} calls")
    result.entries, result.total_s = ranked(by_id, labels, counts, runs or result.calls)
    if not result.entries:
        result.notes.append("the trace named no HLO ops for this function")
    missing = sorted(op for op in times if op not in ids)
    if missing:
        result.notes.append(f"not in the optimized view: {', '.join(missing[:5])}")
    return result
