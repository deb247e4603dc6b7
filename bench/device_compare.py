"""One click, two devices: the timing panel's CPU and GPU rows beside ``timeit``.

A training step (an MLP's loss, ``jax.grad`` and an SGD update under
``jax.jit``) at three sizes is timed the way the widget's Run button does
(``JaxFrontend.time`` with ``device="cpu"`` and ``device="gpu"``), and the same
call is timed with ``timeit`` on arrays placed on each device (best of 5
autoranged loops, ``block_until_ready`` after each call). Prints a markdown
table: per-call times, the GPU's speed-up as the panel shows it, and the
panel's number over timeit's. Needs a GPU that JAX sees; run from the
repository root:

    python bench/device_compare.py
"""

from __future__ import annotations

import platform
import sys
import time
import timeit
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "kernel_ext"))

import jax
import jax.numpy as jnp
import numpy as np

from tgraph.frontends.jax import JaxFrontend
from tgraph.protocol import Options

BUDGET = 1.0


def _step(width: int) -> tuple[Any, tuple[Any, ...]]:
    def loss(w: Any, x: Any) -> Any:
        h = jnp.tanh(x @ w[0])
        return jnp.mean((h @ w[1]) ** 2)

    step = jax.jit(
        lambda w, x: [a - 0.01 * g for a, g in zip(w, jax.grad(loss)(w, x), strict=True)]
    )
    rng = np.random.default_rng(0)
    w = [rng.standard_normal((width, width), np.float32) / width for _ in range(2)]
    x = rng.standard_normal((256, width), np.float32)
    return step, (w, x)


def _timeit(fn: Any, args: tuple[Any, ...], device: Any) -> float:
    placed = jax.device_put(args, device)
    jax.block_until_ready(fn(*placed))
    timer = timeit.Timer(lambda: jax.block_until_ready(fn(*placed)))
    number, _ = timer.autorange()
    return min(timer.repeat(5, number)) / number


def main() -> None:
    frontend = JaxFrontend()
    devices = frontend.devices()
    if not devices.gpus:
        sys.exit("needs a GPU that JAX can see")
    gpu = jax.devices("gpu")[0]
    print(f"Machine: {platform.processor() or platform.machine()}, {gpu.device_kind}; ", end="")
    print(f"Python {platform.python_version()}, jax {jax.__version__}\n")
    print("| step (width) | panel CPU | panel GPU | GPU speed-up", end=" ")
    print("| panel/timeit CPU | panel/timeit GPU |")
    print("|---|---|---|---|---|---|")
    for width in (128, 1024, 4096):
        step, args = _step(width)
        target = frontend.target_for_call("step", step)
        assert target is not None
        target.args, target.kwargs = args, {}
        rows = {}
        for where in ("cpu", "gpu"):
            result = frontend.time(
                target, Options(device=where, budget=BUDGET), devices, time.perf_counter
            )
            assert result.error is None, result.error
            rows[where] = result.row()["median_s"]
        plain = {where: _timeit(step, args, jax.devices(where)[0]) for where in ("cpu", "gpu")}
        print(
            f"| {width} | {rows['cpu'] * 1e3:.3f} ms | {rows['gpu'] * 1e3:.3f} ms "
            f"| {rows['cpu'] / rows['gpu']:.1f}x | {rows['cpu'] / plain['cpu']:.2f} "
            f"| {rows['gpu'] / plain['gpu']:.2f} |"
        )


if __name__ == "__main__":
    main()
