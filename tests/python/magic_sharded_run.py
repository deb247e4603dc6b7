"""Cells calling sharded and bfloat16 programs on 8 CPU devices, run by test_magic_called.py.

JAX fixes its device count when it starts, so this script sets
``--xla_force_host_platform_device_count=8`` before importing it, runs the
notebook in a real IPython shell plain and then with ``%%tgraph --sync``,
and prints what the tests check as one JSON line.
"""

from __future__ import annotations

import os

os.environ["XLA_FLAGS"] = "--xla_force_host_platform_device_count=8"

import json
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))

from IPython.core.interactiveshell import InteractiveShell

from conftest import run

DEFINED = """
import jax, jax.numpy as jnp
from jax.sharding import NamedSharding, PartitionSpec as P
mesh = jax.make_mesh((8,), ("data",))
def local_loss(w, x):
    return jax.lax.pmean(jnp.mean((x @ w) ** 2), "data")
step = jax.jit(jax.shard_map(
    jax.grad(local_loss), mesh=mesh, in_specs=(P(), P("data")), out_specs=P()))
shard_total = jax.shard_map(
    lambda x: jax.lax.psum(jnp.sum(x), "data"), mesh=mesh, in_specs=P("data"), out_specs=P())
w = jax.device_put(jnp.ones((4, 2)), NamedSharding(mesh, P()))
x = jax.device_put(jnp.ones((16, 4)), NamedSharding(mesh, P("data")))
v = jax.device_put(jnp.arange(16.0), NamedSharding(mesh, P("data")))
@jax.jit
def half(a, b):
    return jnp.sum(a * b)
a = jnp.ones(8, jnp.bfloat16)
b = jnp.full(8, 2, jnp.bfloat16)
from jax.sharding import AxisType
explicit = jax.make_mesh((8,), ("data",), axis_types=(AxisType.Explicit,))
def mean_square(w, x):
    return jnp.mean((x @ w) ** 2)
explicit_step = jax.jit(jax.grad(mean_square))
we = jax.device_put(jnp.ones((4, 2)), NamedSharding(explicit, P()))
xe = jax.device_put(jnp.ones((16, 4)), NamedSharding(explicit, P("data")))
"""

CALLS = {
    "step": "g = step(w, x)",
    "shard_total": "t = shard_total(v)",
    "half": "h = half(a, b)",
    "explicit_step": "with jax.set_mesh(explicit):\n    ge = explicit_step(we, xe)",
}


def seen(shell: InteractiveShell) -> dict[str, Any]:
    ns = shell.user_ns
    return {k: repr(ns[k]) for k in ("g", "t", "h", "ge") if k in ns}


def main() -> None:
    shell = InteractiveShell.instance()
    shell.run_line_magic("load_ext", "tgraph")
    registry = shell.magics_manager.registry["TgraphMagics"].registry
    found: dict[str, Any] = {}
    run(shell, DEFINED)
    plain = {name: (run(shell, cell).stderr, seen(shell)) for name, cell in CALLS.items()}
    shell.reset(new_session=False)
    run(shell, DEFINED)
    for name, cell in CALLS.items():
        ran = run(shell, f"%%tgraph --sync --budget 0.05\n{cell}")
        [entry] = [e for e in registry.entries if e.bundle.target == name]
        rows = entry.timings
        if len(rows) != 1:
            raise SystemExit(f"{name}: timing rows {rows}, stderr {ran.stderr!r}")
        [row] = rows
        found[name] = {
            "same": (ran.stderr, seen(shell)) == plain[name],
            "stderr": ran.stderr,
            "device": row["device"],
            "input_devices": row["input_devices"],
            "signature": row["signature"],
            "error": row["error"],
            "notes": row["notes"],
            "values_from": entry.values("original")["inputs"],
            "original_ops": sorted(entry.bundle.views["original"].ops()),
            "optimized_ops": sorted(entry.bundle.views["optimized"].ops()),
        }
    print(json.dumps(found))


if __name__ == "__main__":
    main()
