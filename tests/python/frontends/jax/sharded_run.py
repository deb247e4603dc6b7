"""Sharded programs on 8 CPU devices, run in a fresh Python by test_jax_sharding.py.

JAX fixes its device count when it starts, so this script sets
``--xla_force_host_platform_device_count=8`` before importing it and prints
what the tests check as one JSON line; the rest of the suite keeps one CPU.
"""

from __future__ import annotations

import os

os.environ["XLA_FLAGS"] = "--xla_force_host_platform_device_count=8"

import json
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))

from jax_cells import target_of

from tgraph.frontends.jax import JaxFrontend
from tgraph.graph import Graph, Node
from tgraph.protocol import Options

DATA_PARALLEL = """
import jax
import jax.numpy as jnp
from jax.sharding import NamedSharding, PartitionSpec as P

mesh = jax.make_mesh((8,), ("data",))

def loss(params, x, y):
    h = jnp.tanh(x @ params["w1"])
    return jnp.mean((h @ params["w2"] - y) ** 2)

@jax.jit
def step(params, x, y):
    grads = jax.grad(loss)(params, x, y)
    return jax.tree.map(lambda p, g: p - 0.1 * g, params, grads)

replicated = NamedSharding(mesh, P())
batch = NamedSharding(mesh, P("data"))
params = {
    "w1": jax.device_put(jnp.ones((16, 32)), replicated),
    "w2": jax.device_put(jnp.ones((32, 4)), replicated),
}
x = jax.device_put(jnp.ones((64, 16)), batch)
y = jax.device_put(jnp.ones((64, 4)), batch)
new = step(params, x, y)
"""

SHARDED_LOSS = (
    DATA_PARALLEL
    + """
loss_on_mesh = jax.jit(loss)
value = loss_on_mesh(params, x, y)
"""
)

TENSOR_PARALLEL = """
import jax
import jax.numpy as jnp
from jax.sharding import AxisType, NamedSharding, PartitionSpec as P

mesh = jax.make_mesh((2, 4), ("data", "model"), axis_types=(AxisType.Auto,) * 2)

@jax.jit
def matmul(a, b):
    c = a @ b
    c = jax.lax.with_sharding_constraint(c, NamedSharding(mesh, P("data", None)))
    return jnp.tanh(c)

a = jax.device_put(jnp.ones((32, 64)), NamedSharding(mesh, P("data", "model")))
b = jax.device_put(jnp.ones((64, 16)), NamedSharding(mesh, P("model", None)))
c = matmul(a, b)
"""

SHARD_MAP = """
import jax
import jax.numpy as jnp
from jax.sharding import NamedSharding, PartitionSpec as P

mesh = jax.make_mesh((8,), ("data",))

def local(x):
    return jax.lax.psum(jnp.sin(x).sum(0), "data")

total = jax.jit(jax.shard_map(local, mesh=mesh, in_specs=P("data"), out_specs=P()))
x = jax.device_put(jnp.ones((64, 4)), NamedSharding(mesh, P("data")))
s = total(x)
"""


def node_json(node: Node) -> dict[str, Any]:
    return {
        "id": node.id,
        "kind": node.kind,
        "label": node.label,
        "op": node.op,
        "shape": node.shape,
        "parent": node.parent,
        "attrs": node.attrs,
        "tags": node.tags,
        "line": node.source.line if node.source else None,
    }


def graph_json(graph: Graph) -> dict[str, Any]:
    return {
        "nodes": [node_json(n) for n in graph.nodes],
        "subgraphs": [
            {"id": s.id, "label": s.label, "kind": s.kind, "parent": s.parent, "attrs": s.attrs}
            for s in graph.subgraphs
        ],
        "notes": graph.notes,
    }


def views(src: str, name: str, timed: bool = False) -> dict[str, Any]:
    frontend = JaxFrontend()
    target, cell, _ = target_of(src, name)
    traced = frontend.trace(target, Options(), cell)
    traced.build_all()
    bundle = traced.bundle
    found: dict[str, Any] = {
        "errors": traced.errors,
        "views": {k: graph_json(v) for k, v in bundle.views.items()},
        "offers": traced.offers.to_json(),
        "info": {k: bundle.info.get(k) for k in ("mesh", "communication", "collectives")},
    }
    if timed:
        devices = frontend.devices()
        found["devices"] = devices.to_json()
        row = frontend.time(target, Options(device="mesh", budget=0.3), devices, time.perf_counter)
        found["mesh_row"] = row.row()
        one = Options(device="cpu:3", budget=0.2)
        single = frontend.time(target, one, devices, time.perf_counter)
        found["single_row"] = single.row()
        profile = frontend.profile(target, Options(device="mesh", budget=0.3), devices)
        found["profile"] = profile.to_json()
    return found


WIDGET = "application/vnd.jupyter.widget-view+json"


def fidelity() -> dict[str, Any]:
    """The same cell with and without the magic: names, output, shardings."""
    import jax
    from IPython.core.interactiveshell import InteractiveShell
    from IPython.utils.capture import capture_output

    shell = InteractiveShell.instance()
    shell.run_line_magic("load_ext", "tgraph")
    seen = {}
    for magic in ("", "%%tgraph\n"):
        shell.reset(new_session=False)
        with capture_output() as captured:
            ran = shell.run_cell(magic + DATA_PARALLEL + "new['w1'].sharding", store_history=True)
        ns = shell.user_ns
        arrays = {k: v for k, v in ns.items() if isinstance(v, jax.Array)}
        arrays.update({f"new.{k}": v for k, v in ns["new"].items()})
        arrays.update({f"params.{k}": v for k, v in ns["params"].items()})
        seen[magic or "plain"] = {
            "names": sorted(k for k in ns if not k.startswith("_") and k not in ("In", "Out")),
            "result": repr(ran.result),
            "stdout": captured.stdout,
            "stderr": captured.stderr,
            "shardings": {k: repr(v.sharding) for k, v in sorted(arrays.items())},
            "values": {k: float(v.sum()) for k, v in sorted(arrays.items())},
            "widgets": len([o for o in captured.outputs if WIDGET in o.data]),
        }
    return seen


if __name__ == "__main__":
    print(
        json.dumps(
            {
                "data_parallel": views(DATA_PARALLEL, "step", timed=True),
                "sharded_loss": views(SHARDED_LOSS, "loss_on_mesh"),
                "tensor_parallel": views(TENSOR_PARALLEL, "matmul"),
                "shard_map": views(SHARD_MAP, "total"),
                "fidelity": fidelity(),
            },
            default=str,
        )
    )
