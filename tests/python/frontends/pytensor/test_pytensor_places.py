"""A PyTensor graph grouped by the user's functions, read from ``tag.trace``."""

from __future__ import annotations

import linecache

from tgraph.frontends.pytensor import PyTensorFrontend
from tgraph.graph import Graph
from tgraph.protocol import CellInfo, Options
from tgraph.structure import TIMES

FRONTEND = PyTensorFrontend()

HELPERS = """
import pytensor.tensor as pt
from pytensor import function

def rms(x):
    return x / pt.sqrt(pt.mean(x * x) + 1e-6)

def block(x):
    return pt.tanh(rms(x)) + x
"""

MODEL = """
x = pt.dvector("x")
y = x
for i in range(3):
    y = block(y)
f = function([x], pt.sum(y))
"""


def run(code: str, namespace: dict[str, object], name: str) -> CellInfo:
    """Run ``code`` as a notebook cell: its own file name, in linecache."""
    linecache.cache[name] = (len(code), None, code.splitlines(True), name)
    with FRONTEND.observe():
        exec(compile(code, name, "exec"), namespace)
    return CellInfo(code, name)


def original() -> tuple[Graph, CellInfo]:
    namespace: dict[str, object] = {}
    run(HELPERS, namespace, "<places-helpers>")
    cell = run(MODEL, namespace, "<places-model>")
    (target,) = FRONTEND.targets({"f": namespace["f"]}, cell)
    traced = FRONTEND.trace(target, Options(), cell)
    traced.build("original")
    assert traced.errors == {}
    return traced.bundle.views["original"], cell


def test_a_loop_of_calls_folds_and_each_call_holds_its_helper() -> None:
    graph, cell = original()
    subs = {s.id: s for s in graph.subgraphs}
    (fold,) = [s for s in graph.subgraphs if s.kind == "repeat"]
    assert fold.label == f"block {TIMES}3" and fold.parent is None
    line = next(i for i, t in enumerate(cell.code.splitlines(), 1) if "y = block(y)" in t)
    assert fold.attrs["line"] == str(line)
    calls = [s for s in graph.subgraphs if s.parent == fold.id]
    assert [s.label for s in calls] == ["block [0]", "block [1]", "block [2]"]
    for call in calls:
        (helper,) = [s for s in graph.subgraphs if s.parent == call.id]
        assert helper.label == "rms" and helper.attrs["call"] == "return pt.tanh(rms(x)) + x"
        ops = {n.op.split("(")[0] for n in graph.nodes if n.parent == helper.id}
        assert "Sqrt" in ops and "Tanh" not in ops
        assert [n.op for n in graph.nodes if n.parent == call.id and n.kind == "op"] == [
            "Tanh",
            "Add",
        ]
    # what the cell itself wrote stays at the top: the sum
    top = [n.op for n in graph.nodes if n.kind == "op" and n.parent is None]
    assert top == ["Sum{axes=None}"]
    assert all(subs[s.parent].kind == "repeat" for s in calls if s.parent)
