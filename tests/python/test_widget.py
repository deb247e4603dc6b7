"""The inline widget: traits, re-layout on expand, static fallback, declared table."""

from __future__ import annotations

import html
from importlib import resources

import pytest

from tgraph import layout as lay
from tgraph.frontends import Declared
from tgraph.graph import Edge, Graph, GraphBundle, Node, Rewrite, Subgraph
from tgraph.widget import GraphWidget, declared_table

WIDGET_MIME = "application/vnd.jupyter.widget-view+json"
NASTY = '<script>alert("x")</script> & 中文 \\'


def composite_graph() -> Graph:
    g = Graph(
        nodes=[Node("x", "input", NASTY), Node("out", "output", "out")],
        subgraphs=[Subgraph("comp", "Composite", "composite")],
        notes=["gradient of sum(y)"],
    )
    for i in range(3):
        g.nodes.append(Node(f"op{i}", "op", f"Op{i}", op="Mul", parent="comp"))
        g.edges.append(Edge("x" if i == 0 else f"op{i - 1}", f"op{i}"))
    g.edges.append(Edge("op2", "out"))
    return g


def chain(n: int) -> Graph:
    nodes = [Node(f"n{i}", "op", f"Add{i}", op="Add") for i in range(n)]
    return Graph(nodes, [Edge(f"n{i}", f"n{i + 1}") for i in range(n - 1)])


def bundle(**views: Graph) -> GraphBundle:
    return GraphBundle(
        target=f"f {NASTY}",
        framework="pytensor",
        views=views or {"original": composite_graph(), "optimized": composite_graph()},
        rewrites=[
            Rewrite(1, "local_log1p", "log(1 + x)", "log1p(x) <b>", created=["op1"]),
            Rewrite(2, "merge", "a", "b", noise=True),
        ],
        notes=[f"note {NASTY}"],
    )


def test_traits_hold_bundle_and_one_svg_per_view():
    w = GraphWidget(bundle())
    assert set(w.svg) == {"original", "optimized"}
    assert all('id="tg&#45;comp"' in svg for svg in w.svg.values())
    assert w.bundle["target"] == f"f {NASTY}"
    assert w.expanded == {"original": [], "optimized": []}
    assert w.layouts["original"]["collapsed"] == ["comp"]
    assert w.layouts["original"]["engine"] in {"dot", "wasm"}
    assert w.error == ""
    assert "laid out" in w.status


def test_expanding_one_view_lays_out_only_that_view():
    w = GraphWidget(bundle())
    before = dict(w.svg)
    w.expanded = {"original": ["comp"], "optimized": []}
    assert w.svg["original"] != before["original"]
    assert "tg&#45;op0" in w.svg["original"]
    assert w.svg["optimized"] == before["optimized"]
    assert w.layouts["original"]["expanded"] == ["comp"]
    w.expanded = {"original": [], "optimized": []}
    assert w.svg["original"] == before["original"]


def test_too_big_expansion_keeps_last_picture_and_says_why():
    big = chain(10_000)
    w = GraphWidget(bundle(original=big))
    before = w.svg["original"]
    every_group = [g["id"] for g in w.layouts["original"]["groups"]]
    w.expanded = {"original": every_group}
    assert w.svg["original"] == before
    assert "limit" in w.error
    assert w.expanded == {"original": []}


def test_mimebundle_has_widget_view_and_static_html():
    w = GraphWidget(bundle())
    data = w._repr_mimebundle_()
    data = data[0] if isinstance(data, tuple) else data
    assert WIDGET_MIME in data
    page = data["text/html"]
    assert page.count("<svg") == 2
    assert "<h4>Original</h4>" in page and "<h4>Optimized</h4>" in page
    assert "<script>" not in page
    assert html.escape(f"note {NASTY}") in page
    assert "local_log1p: log(1 + x) → log1p(x) &lt;b&gt;" in page
    assert "merge" not in page
    assert "1 bookkeeping rewrites not shown" in page


def test_static_html_shows_view_notes_and_text_info():
    b = bundle(gradient=composite_graph())
    b.info["stablehlo"] = "module @jit_f { <tensor> }"
    page = GraphWidget(b).static_html()
    assert "gradient of sum(y)" in page
    assert "module @jit_f { &lt;tensor&gt; }" in page


def test_layout_error_is_reported_not_raised(monkeypatch):
    def broken(*args, **kwargs):
        raise lay.LayoutError("Graphviz crashed")

    monkeypatch.setattr(lay, "layout", broken)
    w = GraphWidget(bundle())
    assert w.svg["original"] == ""
    assert "Graphviz crashed" in w.error
    assert "Graphviz crashed" in w.static_html()


def test_esm_is_the_built_bundle():
    built = resources.files("tgraph").joinpath("static/widget.js")
    if not built.is_file():
        pytest.skip("widget.js not built (npm run build:widget)")
    assert GraphWidget._esm == built.read_text("utf-8")
    assert "tg-root" in GraphWidget._esm


def test_declared_table_escapes_and_aligns():
    rows = [
        Declared("x", "TensorVariable", "float64", "1", "(None,)"),
        Declared("<b>y</b>", "TensorType", "int32", "0", "()"),
    ]
    table = declared_table(rows)
    data = table._repr_mimebundle_()
    assert "<b>y</b>" not in data["text/html"]
    assert "&lt;b&gt;y&lt;/b&gt;" in data["text/html"]
    assert data["text/html"].count("<tr>") == 3
    lines = data["text/plain"].splitlines()
    assert lines[0].split() == ["name", "type", "dtype", "ndim", "shape"]
    assert lines[1].index("TensorVariable") == lines[2].index("TensorType")


def test_saved_widget_leaves_the_stepper_snapshots_to_the_panel() -> None:
    import pytensor.tensor as pt

    from tgraph.frontends import CellInfo, Options, Target
    from tgraph.frontends.pytensor import PyTensorFrontend

    x = pt.dmatrix("x")
    bundle = PyTensorFrontend().build(
        Target("s", "pytensor", 1 / (1 + pt.exp(-x))), Options(), CellInfo("")
    )
    assert any(r.graph is not None for r in bundle.rewrites)
    synced = GraphWidget(bundle).bundle
    assert synced["rewrite_start"] == {}
    assert all(r["graph"] is None for r in synced["rewrites"])
    assert [r["name"] for r in synced["rewrites"]] == [r.name for r in bundle.rewrites]
