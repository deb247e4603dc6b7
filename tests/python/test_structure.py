"""Groups from the program's structure, on graphs built by hand.

What a frontend hands over is, per operation, its levels (a pass, a call, a
module); these tests check the nesting, the telling apart of two calls of
the same code, the folding of repeats and the grouping of pytree names
without any framework.
"""

from __future__ import annotations

from tgraph.graph import Edge, Graph, Node, Subgraph
from tgraph.structure import TIMES, Level, fold_repeats, group, group_names


def call(name: str, at: int, loop: tuple[int, int] | None = None) -> Level:
    """A call of function ``name`` from one call site, at offset ``at`` inside it."""
    return Level(("call", name), name, "call", at, loop, (("line", "7"),))


def ops(count: int, shape: str = "(4,)") -> Graph:
    nodes = [Node(f"n{i}", "op", "mul", op="mul", shape=shape) for i in range(count)]
    edges = [Edge(f"n{i}", f"n{i + 1}") for i in range(count - 1)]
    return Graph(nodes, edges)


def labels(graph: Graph, parent: str | None = None) -> list[str]:
    return [s.label for s in graph.subgraphs if s.parent == parent]


def parent_label(graph: Graph, node: str) -> str:
    subs = {s.id: s for s in graph.subgraphs}
    parent = graph.node(node).parent
    return subs[parent].label if parent else ""


def test_a_step_back_in_the_called_code_is_its_next_call() -> None:
    # block called three times from one line of a loop: offsets 2, 4 then back to 2
    graph = ops(6)
    places = {f"n{i}": [call("block", 2 + 2 * (i % 2))] for i in range(6)}
    group(graph, places, fold=False)
    assert labels(graph) == ["block"] * 3
    assert [parent_label(graph, f"n{i}") for i in range(6)] == ["block"] * 6
    assert len({graph.node(f"n{i}").parent for i in range(6)}) == 3


def test_a_step_back_inside_the_codes_own_loop_is_the_same_call() -> None:
    # the offsets 10, 20, 10, 20 lie in a loop spanning 8..30 of the called code
    graph = ops(4)
    places = {f"n{i}": [call("block", 10 + 10 * (i % 2), (8, 30))] for i in range(4)}
    group(graph, places, fold=False)
    assert labels(graph) == ["block"]


def test_nested_levels_nest_and_keep_their_attributes() -> None:
    graph = ops(3)
    forward = Level(("pass", "forward"), "forward", "pass")
    places = {
        "n0": [forward, call("loss", 0)],
        "n1": [forward, call("loss", 2), call("rms", 0)],
        "n2": [forward, call("loss", 4)],
    }
    group(graph, places, fold=False)
    subs = {s.label: s for s in graph.subgraphs}
    assert subs["loss"].parent == subs["forward"].id
    assert subs["rms"].parent == subs["loss"].id and subs["rms"].attrs == {"line": "7"}
    assert [parent_label(graph, n) for n in ("n0", "n1", "n2")] == ["loss", "rms", "loss"]


def test_identical_groups_in_sequence_fold_and_different_ones_do_not() -> None:
    graph = ops(9)
    # four calls of block with the same ops and shapes, then one of another shape
    for i in range(8, 9):
        graph.nodes[i].shape = "(8,)"
    places = {f"n{i}": [call("block", 2 + 2 * (i % 2))] for i in range(8)}
    places["n8"] = [call("block", 0)]
    group(graph, places)
    (repeat,) = [s for s in graph.subgraphs if s.kind == "repeat"]
    assert repeat.label == f"block {TIMES}4" and repeat.attrs["count"] == "4"
    instances = [s for s in graph.subgraphs if s.parent == repeat.id]
    assert [s.label for s in instances] == [f"block [{i}]" for i in range(4)]
    assert [s.attrs["instance"] for s in instances] == ["0", "1", "2", "3"]
    # the fifth call differs in shape: it stays beside the fold
    assert sorted(labels(graph)) == ["block", f"block {TIMES}4"]


def test_a_run_of_several_groups_repeating_folds_into_instances() -> None:
    # a, b, a, b, a, b: one group per call, three times the pair
    graph = Graph()
    for i in range(6):
        graph.subgraphs.append(Subgraph(f"g{i}", "ab"[i % 2], "call"))
        graph.nodes.append(Node(f"n{i}", "op", "add", op="add" if i % 2 else "sub", parent=f"g{i}"))
    fold_repeats(graph)
    (repeat,) = [s for s in graph.subgraphs if s.kind == "repeat"]
    assert (repeat.attrs["count"], repeat.attrs["period"]) == ("3", "2")
    instances = [s for s in graph.subgraphs if s.parent == repeat.id]
    assert [s.label for s in instances] == ["a + b [0]", "a + b [1]", "a + b [2]"]
    assert all(labels(graph, s.id) == ["a", "b"] for s in instances)


def test_each_layers_own_weights_between_its_calls_do_not_stop_the_fold() -> None:
    # for i in range(3): W = shared(...); h = block(h, W): a weight, then its call
    graph = Graph()
    for i in range(3):
        graph.nodes.append(Node(f"w{i}", "shared", f"W{i}"))
        graph.subgraphs.append(Subgraph(f"g{i}", "block", "call"))
        graph.nodes.append(Node(f"n{i}", "op", "mul", op="mul", parent=f"g{i}"))
    fold_repeats(graph)
    (repeat,) = [s for s in graph.subgraphs if s.kind == "repeat"]
    assert repeat.label == f"block {TIMES}3"
    assert [n.parent for n in graph.nodes if n.kind == "shared"] == [None] * 3


def test_the_order_the_program_made_things_in_numbers_the_instances() -> None:
    # listed last to first (a topological order may do that); made first to last
    graph = Graph()
    for i in reversed(range(3)):
        graph.subgraphs.append(Subgraph(f"g{i}", "block", "call"))
        graph.nodes.append(Node(f"n{i}", "op", "mul", op="mul", parent=f"g{i}"))
    fold_repeats(graph, order={f"n{i}": i for i in range(3)})
    (repeat,) = [s for s in graph.subgraphs if s.kind == "repeat"]
    numbers = {s.id: s.attrs["instance"] for s in graph.subgraphs if s.parent == repeat.id}
    assert numbers == {"g0": "0", "g1": "1", "g2": "2"}


def test_a_reversed_pass_numbers_its_instances_from_the_end() -> None:
    graph = Graph(subgraphs=[Subgraph("bw", "backward", "pass", attrs={"order": "reversed"})])
    for i in range(3):
        graph.subgraphs.append(Subgraph(f"g{i}", "block", "call", "bw"))
        graph.nodes.append(Node(f"n{i}", "op", "mul", op="mul", parent=f"g{i}"))
    fold_repeats(graph)
    (repeat,) = [s for s in graph.subgraphs if s.kind == "repeat"]
    numbers = [s.attrs["instance"] for s in graph.subgraphs if s.parent == repeat.id]
    assert numbers == ["2", "1", "0"]


def test_many_inputs_group_by_their_pytree_paths() -> None:
    names = ["params['emb']", "tok"] + [
        f"params['layers'][{i}]['{w}']" for i in range(4) for w in ("wq", "wk")
    ]
    graph = Graph([Node(f"i{k}", "input", n, name=n) for k, n in enumerate(names)])
    group_names(graph, "input")
    subs = {s.id: s for s in graph.subgraphs}
    paths = {s.label: (subs[s.parent].label if s.parent else "") for s in graph.subgraphs}
    assert paths == {
        "params": "",
        "params['layers']": "params",
        **{f"params['layers'][{i}]": "params['layers']" for i in range(4)},
    }
    assert graph.node("i1").parent is None  # tok stands alone
    assert subs[graph.node("i2").parent or ""].label == "params['layers'][0]"


def test_many_values_without_a_path_gather_in_one_box_and_their_updates_in_another() -> None:
    # a PyTensor training step of 12 layers: W0, b0, ... read, and each updated
    graph = Graph()
    for i in range(12):
        for name in (f"W{i}", f"b{i}"):
            graph.nodes.append(Node(name, "shared", name))
            graph.nodes.append(Node(f"{name}.u", "output", f"{name} (update)", tags=["update"]))
    graph.nodes.append(Node("loss", "output", "loss"))
    for kind in ("shared", "output"):
        group_names(graph, kind)
    boxes = {s.id: s for s in graph.subgraphs}
    assert sorted(s.label for s in boxes.values()) == ["shared variables (24)", "updates (24)"]
    assert {boxes[n.parent].label for n in graph.nodes if n.kind == "shared" if n.parent} == {
        "shared variables (24)"
    }
    assert graph.node("loss").parent is None  # what the cell computes stays in sight


def test_a_few_inputs_stay_loose() -> None:
    graph = Graph([Node(f"i{k}", "input", f"params['w{k}']") for k in range(3)])
    group_names(graph, "input")
    assert graph.subgraphs == []
