"""The side panel's protocol: what the kernel answers, what it refuses, what it lets go."""

from __future__ import annotations

import html
import json
import logging
import re
from typing import Any

import numpy as np
import pytest
from ipywidgets.widgets.widget import _instances

from conftest import run
from tgraph.graph import Edge, Graph, GraphBundle, Node, Rewrite, Source, Subgraph
from tgraph.protocol import LazyView, Offers, Traced, ViewOffer, ViewResult
from tgraph.registry import Registry
from tgraph.static import unpack
from tgraph.values import ViewValues, arrange, summarize
from tgraph.wire import PACK_OVER, unwire

WIDGET_MIME = "application/vnd.jupyter.widget-view+json"


def chain(n: int, op: str = "Add", prefix: str = "n") -> Graph:
    nodes = [Node(f"{prefix}{i}", "op", f"{op}{i}", op=op) for i in range(n)]
    return Graph(nodes, [Edge(f"{prefix}{i}", f"{prefix}{i + 1}") for i in range(n - 1)])


def fused() -> Graph:
    g = Graph(nodes=[Node("x", "input", "x")], subgraphs=[Subgraph("f", "Composite", "composite")])
    g.nodes += [Node(f"c{i}", "op", f"Mul{i}", op="Mul", parent="f") for i in range(3)]
    g.edges += [Edge("x", "c0"), Edge("c0", "c1"), Edge("c1", "c2")]
    return g


def node_ids(svg: str) -> list[str]:
    """The ids of the node groups drawn, as the browser reads them."""
    return [html.unescape(i) for i in re.findall(r'<g id="([^"]+)" class="node', svg)]


def traced(name: str, framework: str = "pytensor", lazy: bool = False) -> Traced:
    bundle = GraphBundle(name, framework, {"original": chain(4), "optimized": fused()})
    bundle.rewrite_start["optimized"] = chain(4)
    bundle.rewrites = [
        Rewrite(1, "fuse_a", "Add0", "Sigmoid", view="optimized", graph=chain(3, "Sigmoid")),
        Rewrite(2, "fuse_b", "Add1", "Log1p", view="optimized", graph=chain(2, "Log1p")),
    ]
    offers = Offers([ViewOffer("original", "Original"), ViewOffer("optimized", "Optimized")])
    later = {}
    if lazy:
        offers.views.append(ViewOffer("gradient", "Gradient"))
        later["gradient"] = LazyView("differentiating", lambda: ViewResult(chain(2, "Neg", "g")))
    return Traced(bundle, offers, later)


@pytest.fixture
def registry() -> Registry:
    registry = Registry()
    registry.add(traced("logistic"))
    registry.add(traced("grad_s", "a framework tgraph never heard of", lazy=True))
    return registry


def test_listing_is_newest_first_with_node_counts_and_pending_views(registry: Registry) -> None:
    listing = registry.answer({"type": "list"})
    assert listing == {
        "type": "entries",
        "entries": [
            {
                "id": "g2",
                "name": "grad_s",
                "framework": "a framework tgraph never heard of",
                "cell": None,
                "nodes": {"original": 4, "optimized": 3},
                "pending": ["gradient"],
                "timing": None,
            },
            {
                "id": "g1",
                "name": "logistic",
                "framework": "pytensor",
                "cell": None,
                "nodes": {"original": 4, "optimized": 3},
                "pending": [],
                "timing": None,
            },
        ],
        "dropped": 0,
    }


def test_get_sends_the_bundle_offers_and_a_picture_of_every_built_view(
    registry: Registry,
) -> None:
    reply = registry.answer({"type": "get", "id": "g2"})
    assert reply is not None and reply["type"] == "graph"
    assert set(reply["layouts"]) == {"original", "optimized"}
    drawn = {view: node_ids(p["svg"]) for view, p in reply["layouts"].items()}
    assert drawn == {
        "original": ["tg-n0", "tg-n1", "tg-n2", "tg-n3"],
        "optimized": ["tg-f", "tg-x"],
    }
    assert reply["pending"] == {"gradient": {"task": "differentiating", "started": None}}
    assert [v["name"] for v in reply["offers"]["views"]] == ["original", "optimized", "gradient"]


def test_get_leaves_the_stepper_snapshots_to_a_steps_request(registry: Registry) -> None:
    reply = registry.answer({"type": "get", "id": "g1"})
    assert reply is not None and reply["type"] == "graph"
    assert reply["steps"] == {"optimized": 2}
    assert reply["bundle"]["rewrite_start"] == {}
    assert [(r["name"], r["graph"]) for r in reply["bundle"]["rewrites"]] == [
        ("fuse_a", None),
        ("fuse_b", None),
    ]
    steps = registry.answer({"type": "steps", "id": "g1", "view": "optimized"})
    assert steps is not None and steps["type"] == "steps"
    assert steps["start"] is not None
    assert [n["label"] for n in steps["start"]["nodes"]] == ["Add0", "Add1", "Add2", "Add3"]
    assert {step: [n["label"] for n in g["nodes"]] for step, g in steps["snapshots"].items()} == {
        "1": ["Sigmoid0", "Sigmoid1", "Sigmoid2"],
        "2": ["Log1p0", "Log1p1"],
    }
    none = registry.answer({"type": "steps", "id": "g1", "view": "original"})
    assert none == {"type": "steps", "id": "g1", "view": "original", "start": None, "snapshots": {}}


def test_build_makes_a_pending_view_and_answers_with_it(registry: Registry) -> None:
    reply = registry.answer({"type": "build", "id": "g2", "view": "gradient"})
    assert reply is not None and reply["type"] == "graph"
    assert reply["pending"] == {}
    assert [n["op"] for n in reply["bundle"]["views"]["gradient"]["nodes"]] == ["Neg", "Neg"]
    assert "tg&#45;g1" in reply["layouts"]["gradient"]["svg"]
    listing = registry.answer({"type": "list"})
    assert listing is not None and listing["entries"][0]["pending"] == []


def test_layout_expands_a_subgraph(registry: Registry) -> None:
    ask = {"type": "layout", "id": "g1", "view": "optimized"}
    closed = registry.answer(ask)
    opened = registry.answer({**ask, "expanded": ["f"]})
    assert closed is not None and opened is not None
    assert (closed["meta"]["collapsed"], closed["meta"]["visible"]) == (["f"], 2)
    assert (opened["meta"]["expanded"], opened["meta"]["visible"]) == (["f"], 4)


def test_stepper_pictures_run_from_start_to_the_last_step(registry: Registry) -> None:
    ask = {"type": "layout", "id": "g1", "view": "optimized"}
    pictures = [registry.answer({**ask, "step": k}) for k in range(3)]
    assert [p is not None and p["step"] for p in pictures] == [0, 1, 2]
    assert ["Sigmoid" in p["svg"] for p in pictures if p] == [False, True, False]
    assert ["Log1p" in p["svg"] for p in pictures if p] == [False, False, True]
    assert registry.answer({**ask, "step": 3}) is None


def test_dot_export_is_graphviz_source(registry: Registry) -> None:
    reply = registry.answer({"type": "dot", "id": "g1", "view": "original", "expanded": []})
    assert reply is not None
    lines = reply["dot"].splitlines()
    assert (lines[0], lines[-1]) == ("digraph tgraph {", "}")
    labels = [re.findall(r"^\t(\w+) \[.* label=(\w+) ", line) for line in lines]
    assert [pair for found in labels for pair in found] == [(f"n{i}", f"Add{i}") for i in range(4)]
    assert [line for line in lines if "->" in line] == [
        f'\tn{i} -> n{i + 1} [class="tg-edge" id="tg-e{i}"]' for i in range(3)
    ]


def test_the_registry_is_bounded_and_counts_what_it_let_go() -> None:
    registry = Registry(max_entries=3)
    for k in range(5):
        registry.add(traced(f"t{k}"))
    listing = registry.answer({"type": "list"})
    assert listing is not None
    assert [e["name"] for e in listing["entries"]] == ["t4", "t3", "t2"]
    assert listing["dropped"] == 2
    assert registry.answer({"type": "get", "id": "g1"}) is None
    by_size = Registry(max_size=40)  # each graph holds 4+3 nodes and 3+2 edges, 4 steps more
    for k in range(3):
        by_size.add(traced(f"t{k}"))
    assert ([e.bundle.target for e in by_size.entries], by_size.dropped) == (["t2"], 2)


def sqrt_graph() -> Graph:
    """``sum(sqrt(v - 1) * exp(v))``, the issue's example, as a frontend would draw it."""
    names = ["v", "sub", "sqrt", "exp", "mul", "sum"]
    nodes = [Node("v", "input", "v")] + [Node(n, "op", n.capitalize(), op=n) for n in names[1:]]
    pairs = [("v", "sub"), ("sub", "sqrt"), ("v", "exp"), ("sqrt", "mul"), ("exp", "mul")]
    return Graph(nodes, [Edge(a, b) for a, b in [*pairs, ("mul", "sum")]])


def test_values_are_computed_once_per_view_and_find_the_first_nan() -> None:
    calls: list[str] = []

    def values(view: str) -> ViewValues:
        calls.append(view)
        with np.errstate(invalid="ignore"):
            v = np.array([0.5, 2.0, 3.0])
            sub = v - 1
            sqrt = np.sqrt(sub)
            found = {"v": v, "sub": sub, "sqrt": sqrt, "exp": np.exp(v), "mul": sqrt * np.exp(v)}
            found["sum"] = found["mul"].sum()
        computed = ViewValues(
            view, "the cell's inputs", nodes={k: summarize(x) for k, x in found.items()}
        )
        return arrange(computed, sqrt_graph())

    bundle = GraphBundle("s", "numpy", {"original": sqrt_graph()})
    registry = Registry()
    registry.add(Traced(bundle, Offers([ViewOffer("original", "Original")]), values=values))
    ask = {"type": "values", "id": "g1", "view": "original"}
    reply = registry.answer(ask)
    assert reply is not None and reply["type"] == "values"
    assert (reply["id"], reply["view"], reply["values"]["inputs"]) == (
        "g1",
        "original",
        "the cell's inputs",
    )
    sub = reply["values"]["nodes"]["sub"]
    assert (sub["min"], sub["max"], sub["nan"]) == (-0.5, 2.0, 0)
    assert reply["values"]["first_nonfinite"] == {
        "node": "sqrt",
        "label": "Sqrt",
        "finite_inputs": ["Sub"],
        "nonfinite_inputs": [],
        "inner": "",
        "inner_label": "",
        "reading": (
            "Sqrt is the first node with a non-finite value (1 NaN); its input Sub was finite"
        ),
    }
    assert registry.answer(ask) == reply
    assert calls == ["original"]


def test_values_of_a_pending_view_build_it_and_a_frontend_without_values_says_so(
    registry: Registry,
) -> None:
    reply = registry.answer({"type": "values", "id": "g2", "view": "gradient"})
    assert reply is not None and reply["type"] == "values"
    assert reply["values"]["error"] == "values not available for this framework"
    assert reply["values"]["nodes"] == {}
    listing = registry.answer({"type": "list"})
    assert listing is not None and listing["entries"][0]["pending"] == []


@pytest.mark.parametrize(
    "message",
    [
        {"type": "execute", "code": "import os"},
        {"type": "get", "id": "no-such-graph"},
        {"type": "layout", "id": "g1", "view": "not-a-view"},
        {"type": "layout", "id": "g1", "view": "original", "step": "1"},
        {"type": "build", "id": "g1"},
        {"type": "values", "id": "g1", "view": "not-a-view"},
        {"type": "values", "id": "g1"},
        ["list"],
        "list",
        None,
    ],
)
def test_undefined_messages_are_ignored_and_logged(
    registry: Registry, message: object, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="tgraph.registry"):
        assert registry.answer(message) is None
    assert "ignored" in caplog.text


def test_bundle_json_is_what_asdict_gives() -> None:
    from dataclasses import asdict

    bundle = traced("logistic").bundle
    bundle.views["original"].nodes[0].source = Source(3, "y = x + 1", "cell")
    bundle.info["hlo"] = {"ops": [1, 2]}
    expected = {**asdict(bundle), "version": 1}
    assert bundle.to_json() == expected
    small = bundle.to_json(steps=False)
    assert small["rewrite_start"] == {}
    assert [r["graph"] for r in small["rewrites"]] == [None, None]
    assert {k: v for k, v in small.items() if k not in ("rewrites", "rewrite_start")} == {
        k: v for k, v in expected.items() if k not in ("rewrites", "rewrite_start")
    }


class Channel:
    """The kernel's end of the panel's comm: keeps what the kernel sends on it."""

    def __init__(self) -> None:
        self.sent: list[Any] = []
        self._handler: Any = None

    def send(self, data: Any) -> None:
        self.sent.append(data)

    def on_msg(self, handler: Any) -> None:
        self._handler = handler

    def on_close(self, handler: Any) -> None:
        pass

    def ask(self, data: Any) -> Any:
        """A request from the panel; the message the kernel answered with."""
        self._handler({"content": {"data": data}})
        return self.sent[-1]


def test_a_big_reply_travels_packed_and_unpacks_to_exactly_the_graph_the_registry_holds() -> None:
    big = chain(600)
    big.nodes[7].label = "中文 <&> é"  # not ASCII, and what HTML escapes
    registry = Registry()
    registry.add(Traced(GraphBundle("big", "pytensor", {"original": big}), Offers([])))
    channel = Channel()
    registry._on_open(channel, {})
    assert channel.sent == [registry.listing()]  # small: as it is

    sent = channel.ask({"type": "get", "id": "g1"})
    assert sent["type"] == "packed" and set(sent) == {"type", "reply"}
    plain = json.dumps(registry.answer({"type": "get", "id": "g1"}), ensure_ascii=False)
    assert len(plain) > PACK_OVER and len(sent["reply"]) < len(plain) / 5
    reply = json.loads(unpack(sent["reply"]))
    assert reply == json.loads(plain)
    original = reply["bundle"]["views"]["original"]
    assert [n["id"] for n in original["nodes"]] == [f"n{i}" for i in range(600)]
    assert original["nodes"][7]["label"] == "中文 <&> é"
    assert len(original["edges"]) == 599
    entry = registry.get("g1")
    assert entry is not None
    assert reply["layouts"]["original"]["svg"] == entry.picture("original")["svg"]

    ask = {"type": "dot", "id": "g1", "view": "original", "expanded": []}
    assert channel.ask(ask) == registry.answer(ask)  # the groups' source is small: as it is
    registry.add(traced("tiny"))
    assert channel.sent[-1] == registry.listing()  # the pushed list: small, as it is


# -- each graph's reply is built once, until its entry changes ------------------------------

PANEL_CELL = """%%tgraph --no-run --budget 0.1
x = pt.dvector("x")
f = pytensor.function([x], (pt.exp(x) / (1 + pt.exp(x))).sum())
f(np.ones(3))
"""


def counting_builds(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The ids of the entries whose ``get`` reply the registry builds, in order."""
    built: list[str] = []
    build = Registry._graph_reply

    def counted(entry: Any) -> Any:
        built.append(entry.id)
        return build(entry)

    monkeypatch.setattr(Registry, "_graph_reply", staticmethod(counted))
    return built


def widget_message(widget: Any, content: Any) -> None:
    """What the kernel does with the inline widget's ``model.send(content)``."""
    message = {"content": {"data": {"method": "custom", "content": content}}, "buffers": []}
    widget._handle_msg(message)


def test_an_unchanged_graph_is_sent_as_it_was_and_a_view_built_by_the_widget_changes_it(
    shell: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    run(shell, "import numpy as np\nimport pytensor\nimport pytensor.tensor as pt")
    ran = run(shell, PANEL_CELL)
    assert ran.error is None
    [widget] = [_instances[d[WIDGET_MIME]["model_id"]] for d in ran.outputs if WIDGET_MIME in d]
    registry: Registry = shell.magics_manager.registry["TgraphMagics"].registry
    [entry] = registry.entries
    built = counting_builds(monkeypatch)
    channel = Channel()
    registry._on_open(channel, {})
    ask = {"type": "get", "id": entry.id}

    first = channel.ask(ask)
    assert channel.ask(ask) is first and registry.answer(ask) == unwire(first)
    assert built == [entry.id]
    before = unwire(first)
    assert before["type"] == "graph"
    pending = sorted(before["pending"])
    assert pending and sorted(before["layouts"]) == sorted(before["bundle"]["views"])

    view = pending[0]
    widget_message(widget, {"type": "view", "view": view})  # the inline widget's build
    after = unwire(channel.ask(ask))
    assert after["type"] == "graph" and built == [entry.id, entry.id]
    assert view not in after["pending"] and view in after["bundle"]["views"]
    assert after["layouts"][view] == entry.picture(view) and "svg" in after["layouts"][view]
    assert after["bundle"] == json.loads(json.dumps(entry.bundle.to_json(steps=False)))

    listed = channel.sent[-1]
    widget.run_timing({})  # a timing row: the list shows it, the graph's reply holds none
    [row] = entry.timings
    assert channel.sent[-1] != listed and channel.sent[-1]["entries"][0]["timing"] == row
    assert registry.answer({"type": "list"})["entries"][0]["timing"] == row
    assert unwire(channel.ask(ask)) == after and len(built) == 2


def test_a_build_cut_short_leaves_no_view_shown_as_waiting(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Ctrl-C in a view's builder: the view was taken off ``later``, no "built" came."""

    def interrupted() -> ViewResult:
        raise KeyboardInterrupt

    registry = Registry()
    entry = registry.add(traced("t"))
    entry.traced.later["gradient"] = LazyView("differentiating", interrupted)
    built = counting_builds(monkeypatch)
    ask = {"type": "get", "id": entry.id}
    before = registry.answer(ask)
    assert before is not None and before["type"] == "graph"
    assert before["pending"] == {"gradient": {"task": "differentiating", "started": None}}
    with pytest.raises(KeyboardInterrupt):
        entry.build("gradient")
    after = registry.answer(ask)
    assert after is not None and after["type"] == "graph"
    assert after["pending"] == {} and "gradient" not in after["bundle"]["views"]
    assert built == [entry.id, entry.id]


def test_a_reply_asked_for_while_a_view_builds_says_so_and_is_not_kept_past_the_build() -> None:
    """Listeners hear "building" before the builder runs: one may ask for the graph then."""
    registry = Registry()
    entry = registry.add(traced("t", lazy=True))
    ask = {"type": "get", "id": entry.id}
    assert registry.answer(ask)["pending"]["gradient"]["started"] is None
    during: list[tuple[Any, float | None]] = []

    def listener(event: str, view: str) -> None:
        if event == "building":
            during.append((registry.answer(ask), entry.building.get(view)))

    entry.listen(listener)
    entry.build("gradient")
    [(asked, started)] = during
    assert started is not None and asked["pending"]["gradient"]["started"] == started
    after = registry.answer(ask)
    assert after is not None and after["type"] == "graph" and after["pending"] == {}
    assert [n["op"] for n in after["bundle"]["views"]["gradient"]["nodes"]] == ["Neg", "Neg"]
    assert "gradient" in after["layouts"]


def test_kept_replies_are_bounded_and_let_go_with_their_graphs(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def big(name: str) -> Traced:
        return Traced(GraphBundle(name, "pytensor", {"original": chain(600)}), Offers([]))

    registry = Registry(max_entries=3)
    for k in range(3):
        registry.add(big(f"b{k}"))
    built = counting_builds(monkeypatch)
    packed = [registry.message({"type": "get", "id": f"g{k}"}) for k in (1, 2, 3)]
    assert all(p is not None and p["type"] == "packed" for p in packed)
    sizes = [len(p["reply"]) for p in packed if p is not None and p["type"] == "packed"]
    assert registry.message({"type": "get", "id": "g1"}) is packed[0]
    assert built == ["g1", "g2", "g3"]

    registry.max_kept = sum(sizes) - 1  # room for two: the least recently sent goes
    registry.add(big("b3"))  # and g1 leaves the registry, its reply with it
    assert registry.message({"type": "get", "id": "g1"}) is None
    assert list(registry._kept) == ["g2", "g3"]
    assert registry.message({"type": "get", "id": "g2"}) is packed[1]
    assert registry.message({"type": "get", "id": "g4"}) is not None  # g3 goes for it
    assert registry.message({"type": "get", "id": "g2"}) is packed[1]
    assert registry.message({"type": "get", "id": "g3"}) is not packed[2]  # built again
    assert built == ["g1", "g2", "g3", "g4", "g3"]
    assert list(registry._kept) == ["g2", "g3"]  # g4 was the least recent


def test_a_graph_reply_carries_exactly_the_bundle_without_its_snapshots() -> None:
    bundle = traced("logistic").bundle
    bundle.views["original"].nodes[0].source = Source(3, "y = x + 1", "cell")
    bundle.info["hlo"] = {"ops": [1, 2], "cost": (1.5, None)}
    bundle.notes.append("中文 <&>")
    registry = Registry()
    registry.add(Traced(bundle, Offers([])))
    reply = registry.answer({"type": "get", "id": "g1"})
    assert reply is not None and reply["type"] == "graph"
    assert reply["bundle"] == json.loads(json.dumps(bundle.to_json(steps=False)))
    assert reply["steps"] == {"optimized": 2}
