"""tgraph's steady-state timing beside ``timeit`` and IPython's ``%timeit``.

For functions from a few microseconds to tens of milliseconds per call
(PyTensor with Numba and the C VM, JAX), each row times the same callable on
the same inputs in the same process three ways: ``tgraph.timing.measure``
(the engine behind the timing panel, default 2 s budget), ``timeit`` (best
of 7 repeats of an autoranged loop) and ``%timeit`` in a real IPython shell
(mean of 7). It reports the per-call numbers, their ratios, and the wall time
each spent measuring. Prints a markdown table; run from the repository root:

    python bench/bench_timing.py

``--copies`` measures instead what the copies made for safety cost a whole
timing run (compile, first call, steady state) of the tutorial targets and
the autoencoder example's two steps: each target is timed through its
frontend with the copies (the graph's constants, the shared values) and with
the copying of the previous release (restoring shared values by value, no
constant copies), alternately, and the copying itself is timed apart:

    python bench/bench_timing.py --copies
"""

from __future__ import annotations

import os
import platform
import sys
import time
import timeit
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "kernel_ext"))

import jax
import jax.numpy as jnp
import numpy as np
import pytensor
import pytensor.tensor as pt
from benchutil import cpu_model
from IPython.core.interactiveshell import InteractiveShell
from pytensor.compile.mode import get_mode

from tgraph.timing import measure

BUDGET = 2.0


@dataclass
class Case:
    name: str
    backend: str
    call: Callable[[], Any]


def _pytensor_cases(backend: str) -> list[Case]:
    mode = get_mode({"numba": "NUMBA", "cvm": "CVM"}[backend])
    rng = np.random.default_rng(0)
    cases = []
    x = pt.vector("x")
    for n in (10, 100_000):
        f = pytensor.function([x], pt.exp(x).sum() + pt.log1p(x).mean(), mode=mode)
        value = rng.uniform(0.5, 1.5, n)
        f(value)  # Numba compiles on the first call
        cases.append(Case(f"exp+log1p, {n:,} elements", backend, lambda f=f, v=value: f(v)))
    a = pt.matrix("a")
    g = pytensor.function([a], pt.tanh(a @ a).sum(), mode=mode)
    big = rng.uniform(0.5, 1.5, (400, 400))
    g(big)
    cases.append(Case("tanh(A @ A), 400x400", backend, lambda: g(big)))
    return cases


def _jax_cases() -> list[Case]:
    rng = np.random.default_rng(0)
    cases = []
    f = jax.jit(lambda v: jnp.exp(v).sum() + jnp.log1p(v).mean())
    for n in (10, 1_000_000):
        value = jax.device_put(rng.uniform(0.5, 1.5, n).astype(np.float32))
        f(value).block_until_ready()
        cases.append(
            Case(f"exp+log1p, {n:,} elements", "jax", lambda v=value: f(v).block_until_ready())
        )
    g = jax.jit(lambda a: jnp.tanh(a @ a).sum())
    big = jax.device_put(rng.uniform(0.5, 1.5, (1000, 1000)).astype(np.float32))
    g(big).block_until_ready()
    cases.append(Case("tanh(A @ A), 1000x1000", "jax", lambda: g(big).block_until_ready()))
    return cases


def _timeit_best(call: Callable[[], Any]) -> tuple[float, float]:
    """``timeit``'s recommended reading: best of 7 autoranged repeats; wall seconds."""
    begin = time.perf_counter()
    timer = timeit.Timer(call)
    number, _ = timer.autorange()
    best = min(timer.repeat(repeat=7, number=number)) / number
    return best, time.perf_counter() - begin


def _ipython_timeit(shell: InteractiveShell, call: Callable[[], Any]) -> tuple[float, float]:
    """``%timeit``'s reported mean per loop; wall seconds it spent."""
    shell.user_ns["_bench_call"] = call
    begin = time.perf_counter()
    result = shell.run_line_magic("timeit", "-o -q _bench_call()")
    return result.average, time.perf_counter() - begin


def _seconds(value: float) -> str:
    for scale, unit in ((1, "s"), (1e-3, "ms"), (1e-6, "us")):
        if value >= scale:
            return f"{value / scale:.3g} {unit}"
    return f"{value / 1e-9:.3g} ns"


def machine() -> str:
    model = cpu_model()
    return (
        f"{model}, {os.cpu_count()} cores; Python {platform.python_version()}, "
        f"pytensor {pytensor.__version__}, jax {jax.__version__}, numpy {np.__version__}"
    )


def main() -> None:
    warnings.filterwarnings("ignore")
    shell = InteractiveShell.instance()
    cases = _pytensor_cases("numba") + _pytensor_cases("cvm") + _jax_cases()
    print(f"Machine: {machine()}; tgraph budget {BUDGET} s\n")
    print(
        "| function | backend | tgraph median | tgraph min | timeit best | %timeit mean | "
        "median/%timeit | min/timeit best | tgraph spent | timeit spent | %timeit spent |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for case in cases:
        begin = time.perf_counter()
        measured = measure(case.call, BUDGET)
        spent = time.perf_counter() - begin
        median = float(np.median(measured.samples))
        least = min(measured.samples)
        best, best_spent = _timeit_best(case.call)
        mean, mean_spent = _ipython_timeit(shell, case.call)
        print(
            f"| {case.name} | {case.backend} | {_seconds(median)} | {_seconds(least)} | "
            f"{_seconds(best)} | {_seconds(mean)} | {median / mean:.2f} | {least / best:.2f} | "
            f"{spent:.2f} s | {best_spent:.2f} s | {mean_spent:.2f} s |"
        )


# -- what the copies made for safety cost a timing run ------------------------------------

COPIES_BUDGET = 0.5  # the autoencoder notebook's own
COPIES_RUNS = 7
EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "autoencoder.ipynb"


@contextmanager
def previous_copies() -> Iterator[None]:
    """The PyTensor timing of the previous release: shared values restored by
    value after the run, the user's constants compiled as they are."""
    import tgraph.frontends.pytensor.timing as ptiming

    @contextmanager
    def restored_by_value(shared: list[Any]) -> Iterator[None]:
        saved = [(v, v.get_value(borrow=False)) for v in shared]
        try:
            yield
        finally:
            for var, value in saved:
                var.set_value(value, borrow=True)

    kept = ptiming.on_copies, ptiming.shared_kept
    ptiming.on_copies, ptiming.shared_kept = (lambda graph: graph), restored_by_value
    try:
        yield
    finally:
        ptiming.on_copies, ptiming.shared_kept = kept


def _copy_seconds(target: Any) -> float:
    """The copying alone: the graph over copies of its constants, the shared values."""
    import copy

    from tgraph.frontends.pytensor import timing as ptiming

    graph = ptiming.pytensor_graph(target)
    begin = time.perf_counter()
    if graph is not None:
        ptiming.on_copies(graph)
    for var in ptiming.shared_in(None, graph):
        copy.deepcopy(var.container.storage[0])
    return time.perf_counter() - begin


def _copy_targets() -> list[tuple[str, Any, Any]]:
    """(name, frontend, target): the tutorial's targets and the autoencoder's steps."""
    import nbformat
    from bench_pytensor import tutorial_cases
    from IPython.utils.capture import capture_output
    from ipywidgets.widgets.widget import _instances

    from tgraph.frontends.pytensor import PyTensorFrontend

    frontend = PyTensorFrontend()
    found = [(c.name, frontend, c.target) for c in tutorial_cases(frontend)]
    shell = InteractiveShell.instance()
    notebook = nbformat.read(EXAMPLE, as_version=4)
    for cell in (c.source for c in notebook.cells if c.cell_type == "code"):
        with capture_output() as captured:
            shell.run_cell(cell)
        for output in captured.outputs:
            model = output.data.get("application/vnd.jupyter.widget-view+json")
            if model:
                runner = _instances[model["model_id"]]._timer.__self__
                found.append((f"autoencoder {runner.target.name}", runner.frontend, runner.target))
    return found


def copies_main() -> None:
    from tgraph.protocol import Options

    warnings.filterwarnings("ignore")
    os.chdir(EXAMPLE.parent)
    targets = _copy_targets()
    print(f"Machine: {machine()}; budget {COPIES_BUDGET} s, {COPIES_RUNS} runs each way\n")
    print(
        "| target | framework | timing run, previous (s) | timing run, with copies (s) | "
        "difference | copying alone (ms) | copying / run |"
    )
    print("|---|---|---|---|---|---|---|")
    for name, frontend, target in targets:
        devices = frontend.devices()
        options = Options(budget=COPIES_BUDGET)
        frontend.time(target, options, devices, time.perf_counter)  # warm: compile caches
        runs: dict[bool, list[float]] = {False: [], True: []}
        for _ in range(COPIES_RUNS):
            for copies in (False, True):
                begin = time.perf_counter()
                if copies:
                    frontend.time(target, options, devices, time.perf_counter)
                else:
                    with previous_copies():
                        frontend.time(target, options, devices, time.perf_counter)
                runs[copies].append(time.perf_counter() - begin)
        before, after = float(np.median(runs[False])), float(np.median(runs[True]))
        alone = 0.0  # JAX's timing copies only donated arguments, as before
        if frontend.framework == "pytensor":
            alone = float(np.median([_copy_seconds(target) for _ in range(COPIES_RUNS)]))
        print(
            f"| {name} | {frontend.framework} | {before:.3f} | {after:.3f} | "
            f"{(after - before) / before:+.1%} | {alone * 1e3:.2f} | {alone / after:.2%} |"
        )


if __name__ == "__main__":
    copies_main() if "--copies" in sys.argv else main()
