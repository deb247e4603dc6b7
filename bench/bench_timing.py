"""tgraph's steady-state timing beside ``timeit`` and IPython's ``%timeit``.

For functions from a few microseconds to tens of milliseconds per call
(PyTensor with Numba and the C VM, JAX), each row times the same callable on
the same inputs in the same process three ways: ``tgraph.timing.measure``
(the engine behind the timing panel, default 2 s budget), ``timeit`` (best
of 7 repeats of an autoranged loop) and ``%timeit`` in a real IPython shell
(mean of 7). It reports the per-call numbers, their ratios, and the wall time
each spent measuring. Prints a markdown table; run from the repository root:

    python bench/bench_timing.py
"""

from __future__ import annotations

import os
import platform
import sys
import time
import timeit
import warnings
from collections.abc import Callable
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


if __name__ == "__main__":
    main()
