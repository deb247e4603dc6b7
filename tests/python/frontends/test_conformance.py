"""Every registered frontend keeps the protocol in ``tgraph.protocol``.

Run against PyTensor, JAX and the test-only ``toyexpr`` frontend, which plugs
in through its entry point with no change to tgraph. Each sample is a small
cell's worth of variables with one graph and one named intermediate.
"""

from __future__ import annotations

import importlib
import json
import time
from collections.abc import Callable
from typing import Any

import pytest

from tgraph import discovery
from tgraph.protocol import CellInfo, Frontend, FrontendBase, Options, Traced
from tgraph.timing import TimingError

Sample = Callable[[Frontend], dict[str, Any]]


def _pytensor(frontend: Frontend) -> dict[str, Any]:
    import pytensor.tensor as pt

    x = pt.dvector("x")
    a = x + 1.0
    b = (a * 2.0).sum()
    return {"x": x, "a": a, "b": b}


def _jax(frontend: Frontend) -> dict[str, Any]:
    import jax
    import jax.numpy as jnp

    def inner(v: Any) -> Any:
        return jnp.sin(v) + 1.0

    @jax.jit
    def b(v: Any) -> Any:
        return (inner(v) * 2.0).sum()

    with frontend.observe():
        b(jnp.ones(3))
    return {"b": b}


def _toyexpr(frontend: Frontend) -> dict[str, Any]:
    import toyexpr as tx

    x = tx.Var("x")
    a = x + 1
    b = a * 2
    return {"x": x, "a": a, "b": b}


SAMPLES: dict[str, Sample] = {"pytensor": _pytensor, "jax": _jax, "toyexpr": _toyexpr}


@pytest.fixture(params=sorted(SAMPLES))
def loaded(request: pytest.FixtureRequest, toyexpr_installed: None) -> tuple[Frontend, Traced]:
    importlib.import_module(request.param)
    frontend = next(f for f in discovery.loaded_frontends() if f.framework == request.param)
    changed = SAMPLES[request.param](frontend)
    found = frontend.targets(changed, CellInfo(""))
    assert [t.name for t in found] == ["b"]  # one graph; the intermediate is inside it
    traced = frontend.trace(found[0], Options(budget=0.05), CellInfo(""))
    return frontend, traced


def _check_graph(view: str, graph: Any) -> None:
    ids = [n.id for n in graph.nodes]
    assert len(ids) == len(set(ids)), f"{view}: duplicate node ids"
    subgraphs = {s.id for s in graph.subgraphs}
    known = set(ids) | subgraphs
    for edge in graph.edges:
        assert edge.src in known and edge.dst in known, f"{view}: dangling edge {edge}"
    for node in graph.nodes:
        assert node.parent is None or node.parent in subgraphs, f"{view}: orphan {node.id}"


def test_the_graph_as_written_is_shown_at_once(loaded: tuple[Frontend, Traced]) -> None:
    frontend, traced = loaded
    assert traced.bundle.framework == frontend.framework
    assert traced.bundle.target == "b"
    assert "original" in traced.bundle.views
    assert traced.bundle.views["original"].ops(), "the original view has operations"


def test_every_offered_view_is_built_or_pending(loaded: tuple[Frontend, Traced]) -> None:
    _, traced = loaded
    offered = [v.name for v in traced.offers.views]
    assert offered[0] == "original"
    assert set(offered) == set(traced.bundle.views) | set(traced.later)
    assert not set(traced.bundle.views) & set(traced.later)
    traced.build_all()
    assert traced.later == {}
    assert traced.errors == {}
    for view in offered:
        _check_graph(view, traced.bundle.views[view])
    json.dumps(traced.bundle.to_json())
    json.dumps(traced.offers.to_json())


def test_the_named_intermediate_is_found_inside(loaded: tuple[Frontend, Traced]) -> None:
    frontend, traced = loaded
    names = {n.name for n in traced.bundle.views["original"].nodes}
    # A JAX intermediate is a Python local, not a variable of the cell: never a target.
    assert ("a" in names) == (frontend.framework != "jax")


def test_timing_on_the_host(loaded: tuple[Frontend, Traced]) -> None:
    frontend, _ = loaded
    devices = frontend.devices()
    assert devices.resolve("cpu").name == "cpu:0"
    changed = SAMPLES[frontend.framework](frontend)
    target = frontend.targets(changed, CellInfo(""))[0]
    if frontend.framework == "jax":
        import jax.numpy as jnp

        target.args, target.kwargs = (jnp.ones(3),), {}
    result = frontend.time(target, Options(budget=0.05), devices, time.perf_counter)
    row = result.row()
    assert (row["framework"], row["device"], row["error"]) == (frontend.framework, "cpu:0", None)
    assert row["calls"] >= 1 and row["samples"]
    assert min(row["samples"]) <= row["median_s"] <= max(row["samples"])


def test_the_toy_plugin_writes_only_its_language_and_gets_the_rest(
    toyexpr_installed: None,
) -> None:
    import toyexpr as tx

    frontend = next(f for f in discovery.loaded_frontends() if f.framework == "toyexpr")
    assert isinstance(frontend, FrontendBase)
    own = {n for n in vars(type(frontend)) if not n.startswith("_")}
    assert own == {"framework", "title", "targets", "declared", "trace", "call"}
    with frontend.observe():
        pass
    assert frontend.target_for_call("b", tx.Var("x") + 1) is None
    assert frontend.hint(ValueError("anything")) is None
    devices = frontend.devices()
    assert [d.name for d in devices.all()] == ["cpu:0"]
    [target] = frontend.targets({"b": tx.Var("x") * 2}, CellInfo(""))
    with pytest.raises(TimingError, match="toyexpr has no per-node profile"):
        frontend.profile(target, Options(), devices)
    row = frontend.time(target, Options(budget=0.05), devices, time.perf_counter).row()
    assert (row["backend"], row["budget_s"]) == ("python", 0.05)
