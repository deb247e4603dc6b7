"""Sharded JAX programs: shardings in the original view, collectives in the compiled one.

The programs run on 8 CPU devices in a fresh Python (``sharded_run.py``):
JAX fixes its device count when it starts, and the rest of the suite keeps
one. The parsers of XLA's replica groups and buffer sizes are checked here
directly, on the three spellings XLA prints.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from tgraph.frontends.jax import sharding
from tgraph.frontends.jax.hlo import hlo_graph

HERE = Path(__file__).parent
KERNEL_EXT = str(Path(__file__).parents[4] / "kernel_ext")


@pytest.fixture(scope="module")
def ran() -> dict[str, Any]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([KERNEL_EXT, env.get("PYTHONPATH", "")])
    done = subprocess.run(
        [sys.executable, str(HERE / "sharded_run.py")],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        cwd=HERE,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    found: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return found


def nodes(view: dict[str, Any], **where: Any) -> list[dict[str, Any]]:
    return [n for n in view["nodes"] if all(n.get(k) == v for k, v in where.items())]


def collectives(view: dict[str, Any]) -> list[dict[str, Any]]:
    return [n for n in view["nodes"] if "collective" in n["tags"]]


# -- data parallelism ------------------------------------------------------------------


def test_data_parallel_inputs_carry_their_specs_and_the_view_names_the_mesh(
    ran: dict[str, Any],
) -> None:
    dp = ran["data_parallel"]
    original = dp["views"]["original"]
    specs = {n["label"]: n["attrs"]["spec"] for n in nodes(original, kind="input", parent=None)}
    assert specs == {
        "params['w1']": "P()",
        "params['w2']": "P()",
        "x": "P('data',)",
        "y": "P('data',)",
    }
    x = nodes(original, kind="input", label="x")[0]
    assert x["attrs"]["sharding"] == "P('data',) on data=8 over cpu:0-7"
    assert "mesh: data=8 (8 devices: cpu:0-7)" in original["notes"]
    assert dp["info"]["mesh"] == {
        "axes": {"data": 8},
        "devices": [f"cpu:{i}" for i in range(8)],
        "platform": "cpu",
    }
    outputs = nodes(original, kind="output", parent=None)
    assert [o["attrs"]["spec"] for o in outputs] == ["P(None, None)", "P(None, None)"]


def test_data_parallel_step_all_reduces_the_gradient(ran: dict[str, Any]) -> None:
    dp = ran["data_parallel"]
    compiled = dp["views"]["optimized"]
    reduces = [n for n in collectives(compiled) if n["attrs"]["collective"] == "all-reduce"]
    assert reduces, "no all-reduce in the per-device program"
    gradient_bytes = (16 * 32 + 32 * 4) * 4  # float32 w1 and w2
    moved = sum(int(n["attrs"]["bytes"].split()[0].replace(",", "")) for n in reduces)
    assert moved == gradient_bytes == 2560
    assert {n["attrs"]["replica_groups"] for n in reduces} == {"{{0,1,2,3,4,5,6,7}}"}
    # it sits in the group of the code whose gradient needs it: the loss, backward
    subs = {s["id"]: s for s in compiled["subgraphs"]}
    for reduce in reduces:
        chain, up = [], reduce["parent"]
        while up is not None:
            chain.append(subs[up]["label"])
            up = subs[up]["parent"]
        assert chain[::-1][:2] == ["backward", "loss"]
    summary = dp["info"]["collectives"]
    assert summary["by_kind"] == {"all-reduce": {"count": len(reduces), "bytes": 2560}}
    assert summary["total_bytes"] == 2560 and summary["partitions"] == 8
    assert f"{len(reduces)} all-reduce (2,560 B); total 2,560 B per device" in compiled["notes"][1]
    assert dp["info"]["communication"].startswith("communication per call: ")
    assert {"key": "communication", "title": "Communication"} in dp["offers"]["texts"]


def test_data_parallel_shapes_are_per_shard(ran: dict[str, Any]) -> None:
    compiled = ran["data_parallel"]["views"]["optimized"]
    shapes = {n["label"]: n["shape"] for n in nodes(compiled, kind="input", parent=None)}
    # x and y are split 8 ways along the batch; the replicated weights are whole
    assert shapes == {
        "params['w1']": "(16,32)",
        "params['w2']": "(32,4)",
        "x": f"({64 // 8},16)",
        "y": f"({64 // 8},4)",
    }


def test_every_collective_links_to_equations_and_cell_lines(ran: dict[str, Any]) -> None:
    for case in ("data_parallel", "tensor_parallel", "shard_map"):
        views = ran[case]["views"]
        ids = {n["id"] for n in views["original"]["nodes"]}
        for node in collectives(views["optimized"]):
            linked = node["attrs"]["jaxpr"].split(",")
            assert linked and set(linked) <= ids, (case, node["label"])
            assert node["line"] is not None, (case, node["label"])


def test_the_gradient_view_shows_the_backward_all_reduce(ran: dict[str, Any]) -> None:
    gradient = ran["sharded_loss"]["views"]["gradient"]
    tagged = collectives(gradient)
    assert tagged and all(n["op"] == "dot_general" for n in tagged)
    assert all(n["label"] == "dot_general ⇒ all-reduce" for n in tagged)
    assert all("backward" in n["tags"] for n in tagged)
    said = [note for note in gradient["notes"] if note.startswith("compiled for the mesh")]
    # the batch is split 8 ways: the weight gradients (2,560 B) are summed over the devices
    assert said == [
        "compiled for the mesh, the gradient's communication per call: "
        "1 all-reduce (2,560 B); total 2,560 B per device"
    ]


def test_timing_on_the_mesh_says_how_many_devices(ran: dict[str, Any]) -> None:
    dp = ran["data_parallel"]
    mesh = dp["devices"]["devices"][-1]
    assert mesh == {
        "name": "mesh",
        "kind": "cpu",
        "description": "mesh (8 devices): a sharded function on its own mesh of cpus",
    }
    assert [d["name"] for d in dp["devices"]["devices"][:-1]] == [f"cpu:{i}" for i in range(8)]
    row = dp["mesh_row"]
    assert row["device"] == "mesh (8 devices)" and row["error"] is None and row["calls"] > 0
    assert set(row["output_devices"]) == {f"cpu:{i}" for i in range(8)} and row["on_device"]
    single = dp["single_row"]
    assert single["device"] == "cpu:3" and single["error"] is None
    assert single["output_devices"] == ["cpu:3", "cpu:3"]


def test_the_mesh_profile_times_the_collectives(ran: dict[str, Any]) -> None:
    profile = ran["data_parallel"]["profile"]
    compiled = ran["data_parallel"]["views"]["optimized"]
    reduce_ids = {n["id"] for n in collectives(compiled)}
    assert profile["device"] == "mesh (8 devices)"
    assert reduce_ids & set(profile["colours"])
    assert "seconds per op are the mean over the 8 devices" in profile["notes"]


# -- tensor parallelism ------------------------------------------------------------------


def test_tensor_parallel_matmul_shows_the_collective_xla_chose(ran: dict[str, Any]) -> None:
    tp = ran["tensor_parallel"]
    compiled = tp["views"]["optimized"]
    (chosen,) = collectives(compiled)
    assert chosen["attrs"]["collective"] == "all-reduce"
    # the contraction is split over "model": each "data" row of 4 devices sums its parts
    assert chosen["attrs"]["replica_groups"] == "{{0,1,2,3}, {4,5,6,7}}"
    assert chosen["attrs"]["devices"] == "4"
    assert chosen["attrs"]["bytes"] == "1,024 B per device"  # f32[16,16]
    assert chosen["shape"] == "(16,16)"


def test_tensor_parallel_shapes_are_global_shapes_divided_along_sharded_axes(
    ran: dict[str, Any],
) -> None:
    tp = ran["tensor_parallel"]
    compiled = tp["views"]["optimized"]
    shapes = {n["label"]: n["shape"] for n in nodes(compiled, kind="input", parent=None)}
    # a: f32[32,64] as P("data", "model") on data=2 x model=4; b: f32[64,16] as P("model", None)
    assert shapes == {"a": f"({32 // 2},{64 // 4})", "b": f"({64 // 4},16)"}
    original = tp["views"]["original"]
    (constraint,) = nodes(original, op="sharding_constraint")
    assert constraint["label"] == "sharding_constraint P('data', None)"
    assert constraint["attrs"]["sharding"] == "P('data', None) on data=2 x model=4 over cpu:0-7"
    assert "mesh: data=2 x model=4 (8 devices: cpu:0-7)" in original["notes"]


# -- shard_map -------------------------------------------------------------------------


def test_shard_map_is_a_subgraph_with_the_psum_inside(ran: dict[str, Any]) -> None:
    sm = ran["shard_map"]
    original = sm["views"]["original"]
    (sub,) = [s for s in original["subgraphs"] if s["kind"] == "shard_map"]
    assert sub["label"] == "shard_map in P('data',) → out P()"
    assert sub["attrs"]["mesh"] == "data=8 over cpu:0-7"
    (psum,) = [n for n in original["nodes"] if n["op"].startswith("psum")]
    assert psum["parent"] == sub["id"] and psum["label"].endswith(" over data")
    assert "collective" in psum["tags"]
    (reduce,) = collectives(sm["views"]["optimized"])
    assert reduce["attrs"]["collective"] == "all-reduce"
    assert reduce["attrs"]["jaxpr"] == psum["id"]
    assert reduce["attrs"]["bytes"] == "16 B per device"  # the f32[4] partial sums


# -- fidelity --------------------------------------------------------------------------


def test_the_magic_changes_no_name_output_or_sharding(ran: dict[str, Any]) -> None:
    plain, magic = ran["fidelity"]["plain"], ran["fidelity"]["%%tgraph\n"]
    for key in ("names", "result", "shardings", "values", "stderr"):
        assert plain[key] == magic[key], key
    assert plain["stdout"].split(": ", 1)[1] == magic["stdout"].split(": ", 1)[1]
    assert (plain["widgets"], magic["widgets"]) == (0, 1)
    assert magic["shardings"]["x"].endswith("spec=P('data',), memory_kind=device)")


# -- XLA's spellings ---------------------------------------------------------------------


def test_replica_groups_in_every_spelling() -> None:
    assert sharding.replica_groups({"replica_groups": "{{0,2},{1,3}}"}, 4) == [[0, 2], [1, 3]]
    assert sharding.replica_groups({"replica_groups": "{}"}, 4) == [[0, 1, 2, 3]]
    assert sharding.replica_groups({"replica_groups": "[2,4]<=[8]"}, 8) == [
        [0, 1, 2, 3],
        [4, 5, 6, 7],
    ]
    assert sharding.replica_groups({"replica_groups": "[4,2]<=[2,4]T(1,0)"}, 8) == [
        [0, 4],
        [1, 5],
        [2, 6],
        [3, 7],
    ]
    mesh = "mesh['data'=2,'model'=4] {'data'}"
    assert sharding.replica_groups({"replica_groups": mesh}, 8) == [
        [0, 4],
        [1, 5],
        [2, 6],
        [3, 7],
    ]
    assert sharding.replica_groups({}, 8) is None


def test_buffer_sizes_of_arrays_and_tuples() -> None:
    assert sharding.array_bytes("f32[4,16]{1,0}") == [256]
    assert sharding.array_bytes("(bf16[8]{0}, s8[3,2]{1,0}, pred[], token[])") == [16, 6, 1]


ASYNC = """HloModule m, num_partitions=4

%add (a: f32[], b: f32[]) -> f32[] {
  %a = f32[] parameter(0)
  %b = f32[] parameter(1)
  ROOT %s = f32[] add(%a, %b)
}

ENTRY %main (p: f32[2,8]) -> f32[8,8] {
  %p = f32[2,8]{1,0} parameter(0), metadata={op_name="x"}
  %ags = (f32[2,8]{1,0}, f32[8,8]{1,0}) all-gather-start(%p), replica_groups=[1,4]<=[4]
  %agd = f32[8,8]{1,0} all-gather-done(%ags)
  %cp = f32[8,8]{1,0} collective-permute(%agd), source_target_pairs={{0,1},{1,0}}
  ROOT %ar = f32[8,8]{1,0} all-reduce(%cp), replica_groups={}, to_apply=%add
}
"""


def test_async_collectives_are_counted_once_at_their_start() -> None:
    graph, module = hlo_graph(ASYNC, "", "", lambda _where: [])
    tagged = {n.name: n.attrs for n in graph.nodes if "collective" in n.tags}
    assert set(tagged) == {"ags", "agd", "cp", "ar"}
    assert tagged["ags"]["bytes"] == "256 B per device"  # the gathered f32[8,8]
    assert tagged["ags"]["replica_groups"] == "{{0,1,2,3}}"
    assert tagged["agd"] == {**tagged["agd"], "collective": "all-gather"}
    assert tagged["cp"]["source_target_pairs"] == "{{0,1},{1,0}}"
    talk = sharding.communication(module, ASYNC)
    assert talk.by_kind() == {
        "all-gather": {"count": 1, "bytes": 256},
        "collective-permute": {"count": 1, "bytes": 256},
        "all-reduce": {"count": 1, "bytes": 256},
    }
    assert talk.note() == (
        "communication per call: 1 all-gather (256 B), 1 all-reduce (256 B), "
        "1 collective-permute (256 B); total 768 B per device"
    )


def test_a_program_on_one_device_has_no_mesh() -> None:
    from jax_cells import build_one

    bundle, _ = build_one(
        """
        import jax, jax.numpy as jnp
        f = jax.jit(lambda a: jnp.sin(a) * 2)
        f(jnp.ones(8))
        """,
        "f",
    )
    assert "mesh" not in bundle.info and "communication" not in bundle.info
    assert not [n for n in bundle.views["original"].nodes if "sharding" in n.attrs]
    assert not [n for n in bundle.views["optimized"].nodes if "collective" in n.tags]


# -- GPUs ------------------------------------------------------------------------------


def _gpus() -> int:
    try:
        return len(jax.devices("gpu"))
    except RuntimeError:
        return 0


@pytest.mark.gpu
@pytest.mark.skipif(_gpus() < 2, reason="needs two or more GPUs that JAX can see")
def test_the_data_parallel_step_on_gpus() -> None:
    import time

    from jax.sharding import Mesh, NamedSharding
    from jax.sharding import PartitionSpec as P
    from jax_cells import run_cell, targets

    from tgraph.frontends.jax import JaxFrontend
    from tgraph.protocol import Options

    n = _gpus()
    mesh = Mesh(np.array(jax.devices("gpu")), ("data",))
    ns, cell = run_cell(
        """
        @jax.jit
        def step(w, x):
            return w - 0.1 * jax.grad(lambda w: jnp.mean(jnp.tanh(x @ w) ** 2))(w)
        w2 = step(w, x)
        """,
        namespace={
            "jax": jax,
            "jnp": jnp,
            "w": jax.device_put(jnp.ones((16, 4)), NamedSharding(mesh, P())),
            "x": jax.device_put(jnp.ones((8 * n, 16)), NamedSharding(mesh, P("data"))),
        },
    )
    (target,) = [t for t in targets(ns, cell) if t.name == "step"]
    frontend = JaxFrontend()
    traced = frontend.trace(target, Options(), cell)
    traced.build_all()
    compiled = traced.bundle.views["optimized"]
    assert traced.bundle.info["collectives"]["by_kind"]["all-reduce"]["bytes"] == 16 * 4 * 4
    assert [n for n in compiled.nodes if "collective" in n.tags]
    devices = frontend.devices()
    row = frontend.time(target, Options(device="mesh", budget=0.3), devices, time.perf_counter)
    assert row.error is None and row.device == f"mesh ({n} devices)"
