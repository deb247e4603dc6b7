"""The inline widget: traits, lazy views, re-layout on expand, static fallback, declared table."""

from __future__ import annotations

import html
import json
import re
from importlib import resources

import comm
import pytest

from tgraph import entry as entry_module
from tgraph import static as static_module
from tgraph import widget as widget_module
from tgraph.entry import Entry
from tgraph.graph import Edge, Graph, GraphBundle, Node, Rewrite, Subgraph
from tgraph.layout import LayoutError
from tgraph.protocol import Declared, LazyView, Offers, TextOffer, Traced, ViewOffer, ViewResult
from tgraph.static import unpack
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


def widget(
    b: GraphBundle | None = None,
    later: dict[str, LazyView] | None = None,
    show_noise: bool = False,
    texts: list[TextOffer] | None = None,
) -> GraphWidget:
    b = b or bundle()
    names = [*b.views, *(later or {})]
    offers = Offers(
        [ViewOffer(n, n.capitalize()) for n in names],
        rewrites=True,
        texts=texts or [],
        show_noise=show_noise,
    )
    return GraphWidget(Entry("g1", Traced(b, offers, dict(later or {}))))


def test_traits_hold_bundle_and_one_svg_per_view() -> None:
    w = widget()
    assert set(w.svg) == {"original", "optimized"}
    assert all('id="tg&#45;comp"' in svg for svg in w.svg.values())
    assert w.bundle["target"] == f"f {NASTY}"
    assert w.offers["views"] == [
        {"name": "original", "title": "Original"},
        {"name": "optimized", "title": "Optimized"},
    ]
    assert w.expanded == {"original": [], "optimized": []}
    assert w.layouts["original"]["collapsed"] == ["comp"]
    assert w.layouts["original"]["engine"] in {"dot", "wasm"}
    assert (w.error, w.pending, w.devices, w.timings, w.autorun) == ("", {}, {}, [], False)
    assert "laid out" in w.status


def test_a_pending_view_is_built_when_the_front_end_asks() -> None:
    events: list[tuple[str, dict[str, object]]] = []
    b = bundle(original=composite_graph())

    def build() -> ViewResult:
        events.append(("during", dict(w.pending)))
        return ViewResult(chain(3), rewrites=[Rewrite(1, "fold", "a", "b", view="gradient")])

    w = widget(b, {"gradient": LazyView("differentiating", build)})
    assert w.pending == {"gradient": {"task": "differentiating", "started": None}}
    assert "gradient" not in w.svg and "gradient" not in w.bundle["views"]
    w._on_request(w, {"type": "view", "view": "gradient"}, [])
    ((_, during),) = events
    assert during["gradient"]["task"] == "differentiating"  # type: ignore[index]
    assert isinstance(during["gradient"]["started"], float)  # type: ignore[index]
    assert w.pending == {}
    assert [n["id"] for n in w.bundle["views"]["gradient"]["nodes"]] == ["n0", "n1", "n2"]
    assert "tg&#45;n2" in w.svg["gradient"]
    assert w.expanded["gradient"] == []
    assert [r["name"] for r in w.bundle["rewrites"]] == ["local_log1p", "merge", "fold"]
    w._on_request(w, {"type": "view", "view": "gradient"}, [])  # built once only
    assert len(events) == 1


def test_a_view_built_on_the_way_to_another_is_drawn_too() -> None:
    # A big graph: even the original waits, and the optimized view needs it first.
    traced = Traced(bundle(), Offers([ViewOffer("original", "Original")]))
    traced.bundle.views = {}
    traced.later["original"] = LazyView("drawing", lambda: ViewResult(chain(2)))

    def optimized() -> ViewResult:
        traced.build("original")
        return ViewResult(chain(4))

    traced.later["optimized"] = LazyView("rewriting", optimized)
    w = GraphWidget(Entry("g1", traced))
    assert w.svg == {} and set(w.pending) == {"original", "optimized"}
    w._on_request(w, {"type": "view", "view": "optimized"}, [])
    assert w.pending == {}
    assert {v: len(g["nodes"]) for v, g in w.bundle["views"].items()} == {
        "original": 2,
        "optimized": 4,
    }
    assert "tg&#45;n1" in w.svg["original"] and "tg&#45;n3" in w.svg["optimized"]


def test_a_failing_builder_leaves_a_note_not_a_picture() -> None:
    def build() -> ViewResult:
        raise RuntimeError("XLA said no")

    w = widget(bundle(original=composite_graph()), {"optimized": LazyView("compiling", build)})
    w._on_request(w, {"type": "view", "view": "optimized"}, [])
    assert w.bundle["views"]["optimized"]["notes"] == [
        "could not build this view: RuntimeError: XLA said no"
    ]
    assert w.pending == {}


def test_unknown_requests_change_nothing() -> None:
    w = widget()
    before = (dict(w.svg), w.timings, w.busy, w.timing_error)
    for request in ({"type": "exec", "code": "1"}, {"type": "view"}, "time", None):
        w._on_request(w, request, [])
    assert (dict(w.svg), w.timings, w.busy, w.timing_error) == before


def test_expanding_one_view_lays_out_only_that_view() -> None:
    w = widget()
    before = dict(w.svg)
    w.expanded = {"original": ["comp"], "optimized": []}
    assert w.svg["original"] != before["original"]
    assert "tg&#45;op0" in w.svg["original"]
    assert w.svg["optimized"] == before["optimized"]
    assert w.layouts["original"]["expanded"] == ["comp"]
    w.expanded = {"original": [], "optimized": []}
    assert w.svg["original"] == before["original"]


def test_too_big_expansion_keeps_last_picture_and_says_why() -> None:
    w = widget(bundle(original=chain(10_000)))
    before = w.svg["original"]
    every_group = [g["id"] for g in w.layouts["original"]["groups"]]
    w.expanded = {"original": every_group}
    assert w.svg["original"] == before
    assert "limit" in w.error
    assert w.expanded == {"original": []}


def static_page(w: GraphWidget) -> str:
    """Every static output's HTML, or its SVG, in order."""
    return "\n".join(d.get("text/html", d.get("image/svg+xml", "")) for _, d in w.static_outputs())


def test_mimebundle_has_widget_view_and_a_line_of_text() -> None:
    w = widget()
    data = w._repr_mimebundle_()
    data = data[0] if isinstance(data, tuple) else data
    assert set(data) == {WIDGET_MIME, "text/plain"}
    assert data["text/plain"] == f"tgraph: f {NASTY} (pytensor); its pictures are above"


def test_the_static_copy_is_one_output_per_view_between_heading_and_rewrites() -> None:
    w = widget()
    outputs = w.static_outputs()
    assert [key for key, _ in outputs] == ["head", "view-original", "view-optimized", "tail"]
    views = [data for key, data in outputs if key.startswith("view-")]
    assert all(set(d) == {"image/svg+xml", "text/plain"} for d in views)
    assert [d["text/plain"] for d in views] == [
        f"Original of f {NASTY}: 5 nodes",
        f"Optimized of f {NASTY}: 5 nodes",
    ]
    page = static_page(w)
    assert page.count("<svg") == 4  # each picture nests the layout under its caption
    assert page.count(f'data-tg-static="{w.static_id}"') == 4
    assert (
        '<text x="4" y="14" font-weight="bold">Original · f '
        f"{html.escape(NASTY, quote=False)}</text>" in page
    )
    assert "<script>" not in page
    assert html.escape(f"note {NASTY}") in page
    assert "<li>local_log1p: log(1 + x) → log1p(x) &lt;b&gt;</li>" in page
    assert "<li>merge" not in page
    assert "1 bookkeeping rewrites (merge, constant folding) not listed" in page


def test_show_noise_lists_the_bookkeeping_rewrites() -> None:
    page = static_page(widget(show_noise=True))
    assert "<li>merge: a → b</li>" in page
    assert "bookkeeping" not in page


def test_the_static_copy_names_views_it_leaves_out() -> None:
    w = widget(bundle(original=composite_graph()), {"gradient": LazyView("differentiating", Graph)})
    page = static_page(w)
    assert page.count("<svg") == 2
    assert (
        "<p>Gradient: not in this copy: this view is built after the cell "
        "(differentiating). Run the cell with %%tgraph --sync to keep it.</p>"
    ) in page


def test_a_picture_past_the_budget_is_named_not_drawn(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(widget_module, "STATIC_BUDGET", 100)
    page = static_page(widget())
    assert page.count("<svg") == 0
    assert "Original: left out of this copy: its picture takes 2 KB" in page


def test_static_copy_shows_view_notes_and_text_info() -> None:
    b = bundle(gradient=composite_graph())
    b.info["stablehlo"] = "module @jit_f { <tensor> }"
    page = static_page(widget(b, texts=[TextOffer("stablehlo", "StableHLO")]))
    assert ">gradient of sum(y)</text>" in page
    assert "<summary>StableHLO</summary><pre>module @jit_f { &lt;tensor&gt; }</pre>" in page


def test_saved_state_is_packed_and_unpacks_to_the_traits() -> None:
    w = widget()
    state = w.get_state()
    assert json.loads(unpack(state["bundle"])) == w.bundle
    assert {v: unpack(s) for v, s in state["svg"].items()} == w.svg
    assert state.get("_css", "") == "" and "DecompressionStream" in state["_esm"]


def test_layout_error_is_reported_not_raised(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise LayoutError("Graphviz crashed")

    monkeypatch.setattr(entry_module, "layout", broken)
    w = widget()
    assert w.svg["original"] == ""
    assert w.error == "Original: Graphviz crashed\nOptimized: Graphviz crashed"
    assert "<p>Original: Graphviz crashed</p>" in static_page(w)


def test_esm_unpacks_to_the_built_bundle_and_its_css() -> None:
    static = resources.files("tgraph").joinpath("static")
    packed = re.findall(r'unpack\("([A-Za-z0-9+/=]+)"\)', GraphWidget._esm)
    assert [unpack(p) for p in packed] == [
        static.joinpath("widget.css").read_text("utf-8"),
        static.joinpath("widget.js").read_text("utf-8"),
    ]
    # Stored in every saved notebook: about 30 kB since the wire's checks are
    # generated from its schema (was 23 kB with hand-written ones).
    assert len(GraphWidget._esm) < 32_000


def test_the_page_imports_each_built_front_end_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every widget's ``_esm`` is the same loader; the page keeps the imported
    module under a key of the bundle, so a rebuilt bundle is never mistaken
    for the one a page already holds."""
    key = re.compile(r'loaded\.(?:has|set|get)\("([0-9a-f]{16})"')
    keys = set(key.findall(GraphWidget._esm))
    assert len(key.findall(GraphWidget._esm)) == 3 and len(keys) == 1
    files = {"widget.js": "export default {};", "widget.css": ""}
    monkeypatch.setattr(static_module, "_built", files.get)
    first = set(key.findall(static_module.loader()))
    files["widget.js"] = "export default { render() {} };"
    second = set(key.findall(static_module.loader()))
    assert len(first) == len(second) == 1 and first != second != keys


def test_declared_table_escapes_and_aligns() -> None:
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
    b = bundle()
    b.rewrites[0].graph = chain(2)
    b.rewrite_start["optimized"] = chain(3)
    synced = widget(b).bundle
    assert synced["rewrite_start"] == {}
    assert [(r["name"], r["graph"]) for r in synced["rewrites"]] == [
        ("local_log1p", None),
        ("merge", None),
    ]


def test_the_comm_opens_with_every_trait_and_says_nothing_more(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """An update right after the comm opens holds up the page's kernel messages
    (Run All waited on it per widget), so the first state must be whole."""
    sent: list[tuple[object, str, dict[str, object]]] = []

    def publish(
        c: object, msg_type: str, data: dict[str, object], *_a: object, **_k: object
    ) -> None:
        sent.append((c, msg_type, data))

    # the comm a widget gets outside a kernel, whose publishing is a no-op
    monkeypatch.setattr(comm.DummyComm, "publish_msg", publish)
    w = widget()
    ((kind, data),) = [(kind, data) for c, kind, data in sent if c is w.comm]
    assert kind == "comm_open"
    state = data["state"]
    assert isinstance(state, dict)
    assert state["status"] == w.status
    assert w.status.startswith("laid out by Graphviz")
