"""The optimized and gradient views, and the rewrite stepper, in the groups of the graph as written.

A notebook's layout: the helpers in one cell, the model that calls them in
a loop (and compiles it) in the next.
"""

from __future__ import annotations

from typing import Any

import pytest
from test_pytensor_places import FRONTEND, HELPERS, MODEL, run

from tgraph.graph import Graph, Subgraph
from tgraph.layout import layout
from tgraph.protocol import Options, Traced
from tgraph.structure import TIMES

BLOCKS = [f"block [{i}]" for i in range(3)]


@pytest.fixture(scope="module")
def traced() -> Traced:
    namespace: dict[str, object] = {}
    run(HELPERS, namespace, "<origins-helpers>")
    cell = run(MODEL, namespace, "<origins-model>")
    (target,) = FRONTEND.targets({"f": namespace["f"]}, cell)
    found = FRONTEND.trace(target, Options(), cell)
    found.build_all()
    assert found.errors == {}
    return found


def kids(graph: Graph, parent: str | None) -> list[Subgraph]:
    return [s for s in graph.subgraphs if s.parent == parent]


def groups(graph: Graph) -> list[Subgraph]:
    """The program's groups (not the boxes of fused ops)."""
    return [s for s in graph.subgraphs if s.kind in ("pass", "repeat", "call")]


def fold_of_blocks(graph: Graph, parent: str | None) -> Subgraph:
    (fold,) = [s for s in kids(graph, parent) if s.kind == "repeat"]
    assert fold.label == f"block {TIMES}3"
    calls = [s for s in kids(graph, fold.id) if s.kind == "call"]
    assert [s.label for s in calls] == BLOCKS
    for call in calls:
        assert [s.label for s in kids(graph, call.id) if s.kind == "call"] == ["rms"]
    return fold


def test_the_optimized_view_keeps_the_calls_and_says_what_a_fusion_spans(traced: Traced) -> None:
    graph = traced.bundle.views["optimized"]
    fold = fold_of_blocks(graph, None)
    # the groups are the graph as written's, with the same ids
    written = {s.id: s.label for s in traced.bundle.views["original"].subgraphs}
    assert all(written[s.id] == s.label for s in groups(graph))
    # XLA-like fusion across two calls: on their common parent, naming both
    spanning = [s for s in kids(graph, fold.id) if s.kind != "call"]
    assert sorted(s.attrs["spans"] for s in spanning if s.kind == "FusedElemwise") == [
        "block [0], block [1]",
        "block [1], block [2]",
    ]
    # each call's own rms keeps the square-and-sum PyTensor fused for it
    first_rms = kids(graph, kids(graph, fold.id)[-3].id)[0]
    assert first_rms.label == "rms"
    fused = {s.attrs["op"] for s in kids(graph, first_rms.id)}
    assert any("Sqr" in op and "reduce" in op for op in fused)
    # the top: x, the fold, the last fusion with the cell's own sum, its scalar, f
    top = [n.label for n in graph.nodes if n.parent is None and "subgraph" not in n.attrs]
    assert top == ["x", "TensorFromScalar", "f"]
    assert layout(graph).visible == 5


def test_the_gradient_has_a_forward_and_a_backward_pass_in_the_same_calls(traced: Traced) -> None:
    graph = traced.bundle.views["gradient"]
    forward, backward = [s for s in kids(graph, None) if s.kind == "pass"]
    assert (forward.label, backward.label) == ("forward", "backward")
    assert backward.attrs["order"] == "reversed" and "order" not in forward.attrs
    fold_of_blocks(graph, backward.id)
    # each call's backward holds what its ops' gradients compute
    (fold,) = [s for s in kids(graph, backward.id) if s.kind == "repeat"]
    for call in kids(graph, fold.id):
        if call.kind == "call":
            (rms,) = [s for s in kids(graph, call.id) if s.kind == "call"]
            ops = [s.attrs["op"] for s in kids(graph, rms.id)]
            assert any("/" in op for op in ops), call.label  # d(x / sqrt(m))
    # the forward pass recomputes only the sums the gradient reads
    assert {s.label for s in kids(graph, forward.id)} == {f"block {TIMES}3"}


def test_each_step_of_the_rewrites_is_drawn_in_the_calls(traced: Traced) -> None:
    start = traced.bundle.rewrite_start["optimized"]
    assert start is not None
    fold_of_blocks(start, None)
    shots = [r.graph for r in traced.bundle.rewrites if r.view == "optimized" and r.graph]
    assert len(shots) > 10
    for shot in shots:
        assert [s.label for s in shot.subgraphs if s.kind == "repeat"] == [f"block {TIMES}3"]
    # the last step is the optimized view itself, groups and all
    final = traced.bundle.views["optimized"]

    def shape(graph: Graph) -> list[tuple[str, str | None]]:
        return sorted((s.label, s.parent) for s in groups(graph))

    assert shape(shots[-1]) == shape(final)


def test_a_graph_without_calls_gets_no_groups() -> None:
    namespace: dict[str, Any] = {}
    cell = run(
        "import pytensor.tensor as pt\nfrom pytensor import function\n"
        "x = pt.dvector('x')\nf = function([x], pt.tanh(x * 2 + 1).sum())\n",
        namespace,
        "<origins-flat>",
    )
    (target,) = FRONTEND.targets({"f": namespace["f"]}, cell)
    found = FRONTEND.trace(target, Options(), cell)
    found.build_all()
    for view in ("original", "optimized", "gradient"):
        assert groups(found.bundle.views[view]) == [], view
