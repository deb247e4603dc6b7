"""The cost of showing programs a cell calls but did not define, and of ``%tgraph on``.

Part one: a notebook laid out as users lay it out (definitions in earlier
cells), then cells that only call them, each timed from the execute request
to its reply, plain and with ``%%tgraph``, alternately in one kernel after a
warm-up, the overhead taken as the median of the pairs' differences. The
kernel's first traced cell is timed apart, in a fresh kernel.

Part two: Run All of the three example notebooks in a fresh kernel each,
plain (magic lines removed) and with ``%tgraph on`` after ``%load_ext
tgraph`` (every cell traced), the sum of the cells' reply times compared.

    python bench/called_latency.py            # both parts, prints markdown tables
    python bench/called_latency.py --runs 3
"""

from __future__ import annotations

import argparse
import statistics

from benchutil import cpu_model
from cell_latency import NOTEBOOKS, cells, kernel, plain, timed

SETUP = [
    "%load_ext tgraph",
    "import jax, jax.numpy as jnp, numpy as np",
    "import pytensor, pytensor.tensor as pt",
    # a small MLP step, jitted in its own cell
    "def loss(params, x):\n"
    "    h = jnp.tanh(x @ params['w1'])\n"
    "    return jnp.mean((h @ params['w2']) ** 2)\n"
    "@jax.jit\n"
    "def step(params, x):\n"
    "    grads = jax.grad(loss)(params, x)\n"
    "    return jax.tree.map(lambda p, g: p - 0.01 * g, params, grads)\n"
    "params = {'w1': jnp.ones((64, 128)) * 0.01, 'w2': jnp.ones((128, 8)) * 0.01}\n"
    "x = jnp.ones((32, 64))\n"
    "params = step(params, x)",
    "v = pt.dvector('v')\n"
    "softplus = pytensor.function([v], pt.log(1 + pt.exp(v)))\n"
    "xv = np.linspace(-1, 1, 100)\n"
    "_ = softplus(xv)",
]

CALLS = {
    "jitted step, cache hit": "params = step(params, x)",
    "jitted step, loop of 20": "for i in range(20):\n    params = step(params, x)",
    "PyTensor function compiled earlier": "out = softplus(xv)",
    "JAX run eagerly": "value = loss(params, x)",
}


def called(runs: int) -> tuple[dict[str, float], float, float]:
    """Median overhead per cell, and the first traced cell's plain and traced times."""
    with kernel() as client:  # warm-up: JAX's and Numba's caches fill
        for cell in SETUP:
            timed(client, cell)
        first_plain = timed(client, plain(CALLS["jitted step, cache hit"]))
    with kernel() as client:
        for cell in SETUP:
            timed(client, cell)
        first_traced = timed(client, "%%tgraph\n" + CALLS["jitted step, cache hit"])
        overhead: dict[str, float] = {}
        for label, cell in CALLS.items():
            gaps = []
            for _ in range(runs):
                without = timed(client, cell)
                with_magic = timed(client, "%%tgraph\n" + cell)
                gaps.append(with_magic - without)
            overhead[label] = statistics.median(gaps)
    return overhead, first_plain, first_traced


def run_all(name: str) -> tuple[float, float]:
    """Seconds of Run All: plain, then with ``%tgraph on`` (each in a fresh kernel)."""
    sources = cells(name)
    with kernel() as client:  # warm-up
        for cell in sources:
            timed(client, cell)
    with kernel() as client:
        plain_s = sum(timed(client, plain(c)) for c in sources)
    with kernel() as client:
        traced_s = 0.0
        for cell in sources:
            traced_s += timed(client, cell)
            if cell.strip().startswith("%load_ext tgraph"):
                traced_s += timed(client, "%tgraph on")
    return plain_s, traced_s


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    print(f"CPU: {cpu_model()}\n")
    overhead, first_plain, first_traced = called(args.runs)
    print("| cell (definitions in earlier cells) | reply with %%tgraph minus plain |")
    print("|---|---|")
    for label, seconds in overhead.items():
        print(f"| {label} | {seconds:+.3f} s |")
    print(
        f"| the kernel's first traced cell (fresh kernel) | {first_traced - first_plain:+.3f} s |"
    )
    print()
    print("| notebook, Run All | plain | with %tgraph on | ratio |")
    print("|---|---|---|---|")
    for name in NOTEBOOKS:
        plain_s, traced_s = run_all(name)
        print(f"| {name} | {plain_s:.2f} s | {traced_s:.2f} s | {traced_s / plain_s:.2f}x |")


if __name__ == "__main__":
    main()
