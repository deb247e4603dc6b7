"""The optimized and gradient views, and the rewrite stepper, in the groups of the graph as written.

A notebook's layout: the helpers in one cell, the model that calls them in
a loop (and compiles it) in the next.
"""

from __future__ import annotations

import sys
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
    # a fusion of one call's tanh with the next call's square: on their common
    # parent, naming both (PyTensor 3.3 fuses the sum in too, 3.0 does not)
    spanning = {s.attrs["spans"] for s in kids(graph, fold.id) if s.kind != "call"}
    assert {"block [0], block [1]", "block [1], block [2]"} <= spanning
    # each call's own rms keeps the square-and-sum PyTensor fused for it
    first_rms = kids(graph, kids(graph, fold.id)[-3].id)[0]
    assert first_rms.label == "rms"
    held = [s.attrs["op"] for s in kids(graph, first_rms.id)]
    held += [n.op for n in graph.nodes if n.parent == first_rms.id]
    text = " ".join(held).lower()
    assert "sqr" in text and ("reduce" in text or "sum" in text)  # fused in PyTensor 3.3
    # the top: x, the fold, the cell's own sum (with the last call's fusion) and f
    top = [n.label for n in graph.nodes if n.parent is None and "subgraph" not in n.attrs]
    assert len(top) == 3 and (top[0], top[-1]) == ("x", "f")
    assert layout(graph).visible <= 5


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


TRAINING_HELPERS = """
import numpy as np
import pytensor
import pytensor.tensor as pt

def dense(h, W, b):
    return pt.tanh(h @ W + b)

rng = np.random.default_rng(0)
params = []
for i in range(4):
    W = pytensor.shared(rng.normal(size=(4, 4)), name=f"W{i}")
    params.append((W, pytensor.shared(np.zeros(4), name=f"b{i}")))
"""

TRAINING_MODEL = """
x = pt.dmatrix("x")
y = pt.dmatrix("y")
h = x
for W, b in params:
    h = dense(h, W, b)
loss = ((h - y) ** 2).mean()
flat = [p for pair in params for p in pair]
grads = pytensor.grad(loss, flat)
train = pytensor.function([x, y], loss, updates=[(p, p - 0.1 * g) for p, g in zip(flat, grads)])
"""

TRAINING_LOOP = """
X, Y = rng.normal(size=(8, 4)), rng.normal(size=(8, 4))
for epoch in range(5):
    last = train(X, Y)
"""


#: Which call made each node, and which forward op's gradient, is read while the
#: cell runs through ``sys.monitoring``; Python 3.11 has no such watch.
needs_monitoring = pytest.mark.skipif(
    not hasattr(sys, "monitoring"), reason="watching a cell needs sys.monitoring (Python 3.12+)"
)


@pytest.fixture(scope="module")
def training() -> tuple[Traced, dict[str, Any]]:
    namespace: dict[str, Any] = {}
    run(TRAINING_HELPERS, namespace, "<train-helpers>")
    cell = run(TRAINING_MODEL, namespace, "<train-model>")
    (target,) = FRONTEND.targets({"train": namespace["train"]}, cell)
    found = FRONTEND.trace(target, Options(), cell)
    found.build_all()  # views, and the gradient checked by running it, after the cell
    assert found.errors == {}
    run(TRAINING_LOOP, namespace, "<train-loop>")  # the user trains afterwards
    return found, namespace


@needs_monitoring
def test_a_training_step_as_written_opens_on_its_forward_backward_and_update(
    training: tuple[Traced, dict[str, Any]],
) -> None:
    graph = training[0].bundle.views["original"]
    passes = [s for s in kids(graph, None) if s.kind == "pass"]
    assert [(s.label, s.attrs.get("order")) for s in passes] == [
        ("forward", None),
        ("backward", "reversed"),
        ("update", None),
    ]
    forward, backward, update = passes
    for step in (forward, backward):
        (fold,) = [s for s in kids(graph, step.id) if s.kind == "repeat"]
        assert fold.label == f"dense {TIMES}4", step.label
        calls = kids(graph, fold.id)
        assert [s.label for s in calls] == [f"dense [{i}]" for i in range(4)]
        for call in calls:
            ops = {n.op for n in graph.nodes if n.parent == call.id and n.kind == "op"}
            assert ops, (step.label, call.label)
    # the backward of a layer differentiates its tanh and its product
    (fold,) = [s for s in kids(graph, backward.id) if s.kind == "repeat"]
    last = kids(graph, fold.id)[-1]
    ops = {n.op for n in graph.nodes if n.parent == last.id}
    assert {"Sqr", "Sub", "Matmul", "MatrixTranspose"} <= ops  # 1 - tanh², then through W
    # the update pass: p - 0.1 * g for each of the 8 parameters
    subtracts = [n for n in graph.nodes if n.parent == update.id and n.op.startswith("Sub")]
    assert len(subtracts) == 8
    assert layout(graph).visible <= 30


@needs_monitoring
def test_the_compiled_training_step_keeps_the_three_passes(
    training: tuple[Traced, dict[str, Any]],
) -> None:
    graph = training[0].bundle.views["optimized"]
    assert [s.label for s in kids(graph, None) if s.kind == "pass"] == [
        "forward",
        "backward",
        "update",
    ]
    (backward,) = [s for s in kids(graph, None) if s.label == "backward"]
    (fold,) = [s for s in kids(graph, backward.id) if s.kind == "repeat"]
    assert [s.label for s in kids(graph, fold.id) if s.kind == "call"] == [
        f"dense [{i}]" for i in range(4)
    ]


def test_watching_the_gradient_changes_nothing_the_user_has(
    training: tuple[Traced, dict[str, Any]],
) -> None:
    plain: dict[str, Any] = {}
    for code in (TRAINING_HELPERS, TRAINING_MODEL, TRAINING_LOOP):
        exec(code, plain)
    watched = training[1]
    assert watched["last"] == plain["last"]  # bit for bit
    for (w, b), (w0, b0) in zip(watched["params"], plain["params"], strict=True):
        assert (w.get_value() == w0.get_value()).all() and (b.get_value() == b0.get_value()).all()
