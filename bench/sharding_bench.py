"""tgraph's cost for a sharded JAX function against reading XLA's HLO by hand, 8 CPU devices.

Run from the repository root: ``python bench/sharding_bench.py``.

The reference is what a user types after the cell to see the partitioned
program: ``jax.jit(f).lower(*args).compile().as_text()``, which finds the
cell's executable in JAX's compile cache, and the same on a function JAX
has not compiled yet (a copy of ``f``), which compiles. Against it, tgraph's
parts: ``trace`` in the cell (the jaxpr with its shardings and, for a small
function, the per-device program from the cell's own executable), the
per-device view alone (cache lookup, HLO parse, collectives), and the
gradient view (differentiates, checks and compiles the gradient for the
mesh). Medians of ``RUNS`` runs, each on a freshly run cell.
"""

from __future__ import annotations

import os

os.environ["XLA_FLAGS"] = "--xla_force_host_platform_device_count=8"

import itertools
import linecache
import statistics
import sys
import textwrap
import time
import types
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "kernel_ext"))

import jax

from tgraph.frontends.jax import JaxFrontend
from tgraph.protocol import CellInfo, Options

RUNS = 5
_COUNT = itertools.count()

DATA_PARALLEL = """
import jax
import jax.numpy as jnp
from jax.sharding import NamedSharding, PartitionSpec as P

mesh = jax.make_mesh((8,), ("data",))
sizes = [256, 512, 512, 512, 10]

def loss(params, x, y):
    for w in params[:-1]:
        x = jax.nn.relu(x @ w)
    return jnp.mean((x @ params[-1] - y) ** 2)

@jax.jit
def step(params, x, y):
    grads = jax.grad(loss)(params, x, y)
    return [p - 0.01 * g for p, g in zip(params, grads)]

keys = jax.random.split(jax.random.key(0), len(sizes))
params = [
    jax.device_put(jax.random.normal(k, (m, n)) / m**0.5, NamedSharding(mesh, P()))
    for k, m, n in zip(keys, sizes[:-1], sizes[1:])
]
x = jax.device_put(jnp.ones((1024, 256)), NamedSharding(mesh, P("data")))
y = jax.device_put(jnp.ones((1024, 10)), NamedSharding(mesh, P("data")))
new = step(params, x, y)
"""

TENSOR_PARALLEL = """
import jax
import jax.numpy as jnp
from jax.sharding import AxisType, NamedSharding, PartitionSpec as P

mesh = jax.make_mesh((2, 4), ("data", "model"), axis_types=(AxisType.Auto,) * 2)

@jax.jit
def mlp(x, w1, w2):
    h = jax.nn.gelu(x @ w1)
    return h @ w2

x = jax.device_put(jnp.ones((512, 1024)), NamedSharding(mesh, P("data", None)))
w1 = jax.device_put(jnp.ones((1024, 4096)), NamedSharding(mesh, P(None, "model")))
w2 = jax.device_put(jnp.ones((4096, 1024)), NamedSharding(mesh, P("model", None)))
out = mlp(x, w1, w2)
"""

CASES = {
    "data-parallel MLP step": (DATA_PARALLEL, "step"),
    "tensor-parallel MLP": (TENSOR_PARALLEL, "mlp"),
}


def run_cell(src: str) -> tuple[dict[str, Any], CellInfo]:
    src = textwrap.dedent(src)
    filename = f"<sharding-bench-{next(_COUNT)}>"
    linecache.cache[filename] = (len(src), None, src.splitlines(True), filename)
    namespace: dict[str, Any] = {}
    with JaxFrontend().observe():
        exec(compile(src, filename, "exec"), namespace)
    # the cell's own computation runs asynchronously: let it finish before timing tgraph
    jax.block_until_ready([v for v in namespace.values() if isinstance(v, (jax.Array, list))])
    return namespace, CellInfo(code=src, filename=filename)


def by_hand(ns: dict[str, Any], name: str, cold: bool) -> float:
    fun = ns[name]._fun
    if cold:  # a new function object: no cache entry of its own
        fun = types.FunctionType(fun.__code__, fun.__globals__, fun.__name__, fun.__defaults__)
    args = {"step": ("params", "x", "y"), "mlp": ("x", "w1", "w2")}[name]
    begin = time.perf_counter()
    text = jax.jit(fun).lower(*(ns[a] for a in args)).compile().as_text()
    seconds = time.perf_counter() - begin
    assert "all-reduce" in text or "all-gather" in text or "reduce-scatter" in text
    return seconds


def one_run(src: str, name: str) -> dict[str, float]:
    ns, cell = run_cell(src)
    frontend = JaxFrontend()
    changed = {k: v for k, v in ns.items() if not k.startswith("__")}
    (target,) = [t for t in frontend.targets(changed, cell) if t.name == name]
    found = {"by hand": by_hand(ns, name, False), "by hand, compiling": by_hand(ns, name, True)}
    begin = time.perf_counter()
    traced = frontend.trace(target, Options(), cell)
    found["trace (in the cell)"] = time.perf_counter() - begin
    found["per-device view"] = traced.seconds.get("optimized", 0.0)
    if "optimized" in traced.later:
        traced.build("optimized")
        found["per-device view"] = traced.seconds["optimized"]
    # a training step differentiates inside: it offers no second gradient
    found["gradient view"] = float("nan")
    if traced.build("gradient"):
        found["gradient view"] = traced.seconds["gradient"]
    assert not traced.errors, traced.errors
    info = traced.bundle.info["collectives"]
    found["collectives"] = len(info["collectives"])
    found["bytes"] = info["total_bytes"]
    found["instructions"] = sum(1 for n in traced.bundle.views["optimized"].nodes if n.kind == "op")
    return found


def main() -> None:
    print(f"JAX {jax.__version__}, {len(jax.devices())} CPU devices, medians of {RUNS} runs\n")
    columns = [
        "by hand",
        "by hand, compiling",
        "trace (in the cell)",
        "per-device view",
        "gradient view",
    ]
    print("| function | HLO ops | collectives | bytes/device | " + " | ".join(columns) + " |")
    print("|---|---:|---:|---:|" + "---:|" * len(columns))
    for title, (src, name) in CASES.items():
        runs = [one_run(src, name) for _ in range(RUNS)]
        med = {k: statistics.median(r[k] for r in runs) for k in runs[0]}
        times = " | ".join(f"{med[c] * 1000:.1f} ms" for c in columns)
        print(
            f"| {title} | {int(med['instructions'])} | {int(med['collectives'])} | "
            f"{int(med['bytes']):,} | {times} |"
        )


if __name__ == "__main__":
    main()
