"""Layout: stable ids, kinds, escaping, collapse/expand, big graphs, engines."""

from __future__ import annotations

import shutil
import time
import xml.etree.ElementTree as ET

import pytest

from tgraph import layout as lay
from tgraph.graph import Edge, Graph, Node, Subgraph

SVG = "{http://www.w3.org/2000/svg}"
NASTY = '<script>alert("x")</script> & &amp; 中文 \\n back\\slash "q"'


def parse(svg: str) -> ET.Element:
    return ET.fromstring(svg)


def groups(svg: str) -> dict[str, ET.Element]:
    """SVG groups by id (the XML parser decodes Graphviz's entities)."""
    return {g.get("id"): g for g in parse(svg).iter(f"{SVG}g") if g.get("id")}


def classes(g: ET.Element) -> set[str]:
    return set((g.get("class") or "").split())


def texts(g: ET.Element) -> list[str]:
    return [t.text or "" for t in g.iter(f"{SVG}text")]


def small() -> Graph:
    """x, W (shared), 2 (constant) -> mul -> add -> out."""
    return Graph(
        nodes=[
            Node("x", "input", "x", name="x", dtype="float64", shape="(3,)"),
            Node("W", "shared", "W", name="W", dtype="float64"),
            Node("c", "constant", "2"),
            Node("mul", "op", "Mul", op="Mul", tags=["created"]),
            Node("add", "op", "Add", op="Add", tags=["backward"]),
            Node("out", "output", "out"),
        ],
        edges=[
            Edge("x", "mul", "float64[3]"),
            Edge("W", "mul", slot=1),
            Edge("mul", "add"),
            Edge("c", "add", slot=1),
            Edge("add", "out"),
            Edge("add", "W", tags=["update"]),
        ],
    )


def with_composite(inner_ops: int = 5, nested: bool = False) -> Graph:
    """x -> Composite{op0..opN (each reads x and the previous op)} -> out."""
    g = Graph(
        nodes=[Node("x", "input", "x"), Node("out", "output", "out")],
        subgraphs=[Subgraph("comp", "Composite", "composite")],
    )
    prev = "x"
    for i in range(inner_ops):
        g.nodes.append(Node(f"op{i}", "op", f"Op{i}", op="Elemwise", parent="comp"))
        g.edges += [Edge("x", f"op{i}"), Edge(prev, f"op{i}", slot=1)]
        prev = f"op{i}"
    g.edges.append(Edge(prev, "out"))
    if nested:
        g.subgraphs.append(Subgraph("inner", "Scan", "scan", parent="comp"))
        g.nodes.append(Node("deep", "op", "Deep", op="Deep", parent="inner"))
        g.edges.append(Edge("op0", "deep"))
    return g


def chain(n: int) -> Graph:
    nodes = [Node("in", "input", "in")] + [
        Node(f"n{i}", "op", f"Add{i}", op="Add") for i in range(n)
    ]
    edges = [Edge("in", "n0")] + [Edge(f"n{i}", f"n{i + 1}") for i in range(n - 1)]
    return Graph(nodes, edges)


def test_every_node_has_stable_id_and_kind_class():
    first = lay.layout(small())
    again = lay.layout(small())
    found = groups(first.svg)
    for node in small().nodes:
        g = found[f"tg-{node.id}"]
        assert f"tg-{node.kind}" in classes(g)
    assert first.svg == again.svg
    assert first.visible == len(small().nodes)


def test_tags_become_classes():
    found = groups(lay.layout(small()).svg)
    assert "tg-created" in classes(found["tg-mul"])
    assert "tg-backward" in classes(found["tg-add"])
    edges = [g for g in found.values() if "tg-edge" in classes(g)]
    assert [classes(g) for g in edges if "tg-update" in classes(g)]


def test_kinds_differ_in_shape_or_colour():
    found = groups(lay.layout(small()).svg)

    def look(node_id: str) -> tuple[str, str]:
        shape = next(iter(found[f"tg-{node_id}"]))
        return shape.tag, shape.get("fill") or ""

    looks = {look(i) for i in ("x", "W", "c", "mul", "out")}
    assert len(looks) == 5


def test_labels_round_trip_as_plain_text():
    g = Graph(nodes=[Node('a&<b>"c\\', "op", NASTY, op="Op")])
    svg = lay.layout(g).svg
    tree = parse(svg)
    assert not [e for e in tree.iter() if e.tag.endswith("script")]
    node = groups(svg)['tg-a&<b>"c\\']
    assert "".join(texts(node)) == NASTY[: lay.MAX_LABEL - 1] + "…"
    short = Graph(nodes=[Node("s", "op", '<b>&amp;"中\\', op="Op")])
    assert texts(groups(lay.layout(short).svg)["tg-s"]) == ['<b>&amp;"中\\']


def test_newlines_become_lines_and_control_characters_vanish():
    g = Graph(nodes=[Node("s", "op", "one\ntwo\x01", op="Op")])
    assert texts(groups(lay.layout(g).svg)["tg-s"]) == ["one", "two"]


def test_collapsed_subgraph_is_one_box_with_merged_edges():
    out = lay.layout(with_composite(5))
    found = groups(out.svg)
    assert out.collapsed == ["comp"]
    assert out.visible == 3
    box = found["tg-comp"]
    assert "tg-subgraph" in classes(box)
    assert texts(box) == ["Composite · 5 ops ▸"]
    assert not any(f"tg-op{i}" in found for i in range(5))
    edges = [g for g in found.values() if "tg-edge" in classes(g)]
    assert len(edges) == 2  # x -> box (5 edges merged) and box -> out


def test_expanded_subgraph_is_a_cluster_with_its_children():
    out = lay.layout(with_composite(5), frozenset({"comp"}))
    found = groups(out.svg)
    assert "cluster" in classes(found["tg-comp"])
    assert all(f"tg-op{i}" in found for i in range(5))
    assert out.visible == 7
    assert out.collapsed == []


def test_nested_subgraph_stays_collapsed_until_expanded():
    g = with_composite(3, nested=True)
    outer = lay.layout(g, frozenset({"comp"}))
    assert outer.collapsed == ["inner"]
    assert "tg-deep" not in groups(outer.svg)
    hidden = lay.layout(g, frozenset({"inner"}))  # parent collapsed: nothing shows
    assert hidden.collapsed == ["comp"]
    both = lay.layout(g, frozenset({"comp", "inner"}))
    assert "tg-deep" in groups(both.svg)


def test_big_flat_graph_is_grouped_and_fast():
    g = chain(10_000)
    start = time.perf_counter()
    out = lay.layout(g)
    elapsed = time.perf_counter() - start
    assert out.visible <= lay.MAX_GROUPS
    assert elapsed < 3.0
    assert {grp["id"] for grp in out.groups} >= set(out.collapsed)
    assert lay.layout(g).collapsed == out.collapsed  # group ids are stable


def test_expanding_groups_reaches_every_node():
    g = chain(999)  # plus the input: 1,000 nodes, ten groups of 100
    out = lay.layout(g)
    assert len(out.collapsed) == 10
    first = out.collapsed[0]
    opened = lay.layout(g, frozenset({first}))
    members = next(grp["members"] for grp in out.groups if grp["id"] == first)
    found = groups(opened.svg)
    assert all(f"tg-{m}" in found for m in members)
    assert opened.visible == len(members) + 9
    assert "tg-in" in found  # topological order puts the input in the first group


def test_too_many_visible_nodes_is_refused():
    g = chain(10_000)
    out = lay.layout(g)
    leaves = {grp["id"] for grp in out.groups}
    with pytest.raises(lay.TooManyNodes):
        lay.layout(g, frozenset(leaves))


def test_cycles_do_not_break_grouping():
    g = chain(500)
    g.edges.append(Edge("n499", "n0"))
    out = lay.layout(g)
    members = [m for grp in out.groups for m in grp["members"]]
    assert sorted(members) == sorted(n.id for n in g.nodes)


def test_wasm_engine_works_without_dot(monkeypatch):
    monkeypatch.setattr(lay.shutil, "which", lambda name: None)
    assert lay.engine_name() == "wasm"
    out = lay.layout(small())
    assert out.engine == "wasm"
    assert "tg-x" in groups(out.svg)


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz dot is not installed")
def test_dot_and_wasm_give_the_same_elements():
    by_dot = groups(lay.layout(small(), engine="dot").svg)
    by_wasm = groups(lay.layout(small(), engine="wasm").svg)
    assert set(by_dot) == set(by_wasm)


def test_graphviz_errors_are_layout_errors():
    with pytest.raises(lay.LayoutError):
        lay.render_svg("digraph { a -> [ }", "wasm")


def test_an_op_with_an_inner_graph_is_one_box_until_opened() -> None:
    import pytensor.tensor as pt

    from tgraph.frontends import CellInfo, Options, Target
    from tgraph.frontends.pytensor import PyTensorFrontend

    x = pt.dmatrix("x")
    fused = pt.grad(pt.sum(1 / (1 + pt.exp(-x))), x)
    bundle = PyTensorFrontend().build(Target("g", "pytensor", fused), Options(), CellInfo(""))
    graph = bundle.views["optimized"]
    [owner] = [n for n in graph.nodes if "subgraph" in n.attrs]
    sub = owner.attrs["subgraph"]

    def drawn(svg: str) -> set[str]:
        return {g.get("id", "") for g in ET.fromstring(svg).iter("{http://www.w3.org/2000/svg}g")}

    closed = lay.layout(graph)
    assert f"tg-{sub}" in drawn(closed.svg)
    assert f"tg-{owner.id}" not in drawn(closed.svg)
    opened = lay.layout(graph, frozenset({sub}))
    assert {f"tg-{sub}", f"tg-{owner.id}"} <= drawn(opened.svg)
    assert opened.visible > closed.visible
