"""The PyTensor frontend on real graphs: the pipeline is recorded, not guessed."""

from __future__ import annotations

import importlib.util
import itertools
import json
import linecache
from collections import Counter
from typing import Any

import numpy as np
import pytensor
import pytensor.compile.maker as maker_module
import pytensor.tensor as T
import pytest
from pytensor import In, function, shared
from pytensor.tensor import TensorType

from tgraph.frontends.pytensor import PyTensorFrontend
from tgraph.frontends.pytensor.rewrites import Change, History, RewriteRecorder
from tgraph.graph import Graph, GraphBundle, Node, Rewrite
from tgraph.layout import layout
from tgraph.protocol import CellInfo, Options, Target, TraceError

_cells = itertools.count(1)


def run_cell(
    code: str, namespace: dict[str, Any] | None = None, observe: bool = True
) -> tuple[dict[str, Any], CellInfo]:
    """Run ``code`` the way IPython runs a cell: its own file name, its
    lines in linecache, so PyTensor's stack traces point into it."""
    filename = f"<tgraph-test-cell-{next(_cells)}>"
    linecache.cache[filename] = (len(code), None, code.splitlines(True), filename)
    ns = namespace if namespace is not None else {}
    ns.update(T=T, np=np, pytensor=pytensor, function=function, shared=shared, In=In)
    before = dict(ns)
    if observe:
        with PyTensorFrontend().observe():
            exec(compile(code, filename, "exec"), ns)
    else:
        exec(compile(code, filename, "exec"), ns)
    changed = {k: v for k, v in ns.items() if k not in before or before[k] is not v}
    changed.pop("__builtins__", None)
    return changed, CellInfo(code, filename)


def built(target: Target, options: Options, cell: CellInfo) -> GraphBundle:
    """Every view of ``target``, the lazy ones built as the widget would ask."""
    traced = PyTensorFrontend().trace(target, options, cell)
    traced.build_all()
    assert traced.errors == {}
    return traced.bundle


def build_one(code: str, options: Options | None = None, **kw: Any) -> GraphBundle:
    changed, cell = run_cell(code, **kw)
    targets = PyTensorFrontend().targets(changed, cell)
    assert len(targets) == 1, targets
    return built(targets[0], options or Options(), cell)


def top_ops(graph: Graph) -> list[Node]:
    return [n for n in graph.nodes if n.kind == "op" and n.parent is None]


def by_kind(graph: Graph, kind: str) -> list[Node]:
    """Nodes of the outer graph only, not of inner (fused, scanned) graphs."""
    return [n for n in graph.nodes if n.kind == kind and n.parent is None]


LOGISTIC = "x = T.dmatrix('x')\ns = 1 / (1 + T.exp(-x))\n"


def test_logistic_becomes_sigmoid_and_names_the_rewrite() -> None:
    bundle = build_one(LOGISTIC)
    assert "True_div" in bundle.views["original"].ops()
    assert "Exp" in bundle.views["original"].ops()
    optimized = bundle.views["optimized"]
    assert optimized.ops() == ["Sigmoid"]
    sigmoid = top_ops(optimized)[0]
    assert sigmoid.label == "sigmoid"
    assert "created" in sigmoid.tags
    maker = [r for r in bundle.rewrites if r.view == "optimized" and sigmoid.id in r.created]
    assert [r.name for r in maker] == ["local_exp_over_1_plus_exp"]
    assert sigmoid.attrs["created_by"] == "local_exp_over_1_plus_exp"
    assert not maker[0].noise


def test_bookkeeping_rewrites_are_marked_noise() -> None:
    rewrites = build_one(LOGISTIC).rewrites
    names = {r.name for r in rewrites if r.noise}
    assert {"MergeOptimizer", "constant_folding"} <= names
    assert all(not r.noise for r in rewrites if r.name == "local_exp_over_1_plus_exp")


def test_log_of_one_plus_x_becomes_log1p() -> None:
    bundle = build_one("x = T.dvector('x')\ny = T.log(1 + x)\n")
    assert bundle.views["optimized"].ops() == ["Log1p"]
    assert "local_log1p" in [r.name for r in bundle.rewrites if not r.noise]


def test_gradient_of_logistic_sum_is_one_fused_composite() -> None:
    bundle = build_one(LOGISTIC)
    gradient = bundle.views["gradient"]
    [fused] = top_ops(gradient)
    assert fused.op.startswith("Composite")
    [sub] = gradient.subgraphs
    assert (sub.kind, fused.attrs["subgraph"], sub.attrs["node"]) == ("Composite", sub.id, fused.id)
    inner = [n for n in gradient.nodes if n.parent == sub.id]
    assert {"sigmoid", "mul"} <= {n.label for n in inner if n.kind == "op"}
    assert all(n.id.startswith(f"{sub.id}.") for n in inner)
    assert "s is not a scalar: showing the gradient of sum(s)" in gradient.notes
    fusion = [r for r in bundle.rewrites if r.name == "FusionOptimizer"]
    assert fusion and fusion[-1].view == "gradient" and fused.id in fusion[-1].created


def test_nodes_point_at_the_cell_lines_that_made_them() -> None:
    bundle = build_one(LOGISTIC)
    [x] = by_kind(bundle.views["original"], "input")
    assert (x.source.line, x.source.text) == (1, "x = T.dmatrix('x')")
    [sigmoid] = top_ops(bundle.views["optimized"])
    assert sigmoid.source is not None and sigmoid.source.line == 2
    assert sigmoid.source.text == "s = 1 / (1 + T.exp(-x))"


def test_ids_are_stable_and_unique() -> None:
    first = build_one(LOGISTIC).views
    second = build_one(LOGISTIC).views
    for view in ("original", "optimized", "gradient"):
        ids = [n.id for n in first[view].nodes]
        assert len(ids) == len(set(ids))
        assert ids == [n.id for n in second[view].nodes]


def test_function_and_its_variables_are_one_target() -> None:
    code = "x, y = T.dscalars('x', 'y')\nz = x + y\nf = function([x, y], z)\n"
    changed, cell = run_cell(code)
    frontend = PyTensorFrontend()
    [target] = frontend.targets(changed, cell)
    assert (target.name, target.aliases) == ("f", ["z"])
    bundle = built(target, Options(), cell)
    assert [n.label for n in by_kind(bundle.views["original"], "output")] == ["z"]
    assert bundle.views["optimized"].ops() == ["Add"]
    # x and y are drawn in f's graph: no separate table rows for them.
    assert frontend.declared(changed) == []


def test_function_compiled_without_observing_is_matched_by_its_trace() -> None:
    code = "x = T.dmatrix('x')\ns = 1 / (1 + T.exp(-x))\nlogistic = function([x], s)\n"
    changed, cell = run_cell(code, observe=False)
    [target] = PyTensorFrontend().targets(changed, cell)
    assert target.aliases == ["s"]
    bundle = built(target, Options(), cell)
    assert "True_div" in bundle.views["original"].ops()
    assert bundle.views["optimized"].ops() == ["Sigmoid"]


def test_shared_variable_update_is_drawn() -> None:
    code = (
        "w = shared(np.array([1.0, 2.0, 3.0]), name='w')\n"
        "v = T.dvector('v')\n"
        "cost = (w * v).sum()\n"
        "train = function([v], cost, updates={w: w - 0.1 * v})\n"
    )
    bundle = build_one(code)
    for view in ("original", "optimized"):
        graph = bundle.views[view]
        [w] = by_kind(graph, "shared")
        assert (w.label, w.attrs["value"]) == ("w", "[1., 2., 3.]")
        [update] = [n for n in by_kind(graph, "output") if "update" in n.tags]
        assert update.attrs["updates"] == w.id
        assert [e.dst for e in graph.edges if "update" in e.tags] == [update.id]
    assert "Sub" in bundle.views["original"].ops()


def test_givens_are_noted_and_tagged() -> None:
    code = (
        "a, b = T.dscalars('a', 'b')\n"
        "xs = T.dvector('xs')\n"
        "affine = function([a, xs], a + b * xs, givens={b: T.cast(0.0, b.dtype)})\n"
    )
    bundle = build_one(code)
    [b] = [n for n in bundle.views["original"].nodes if n.name == "b"]
    assert "given" in b.tags
    assert any(note.startswith("givens: b is replaced by") for note in bundle.notes)
    assert "b" not in {n.name for n in bundle.views["optimized"].nodes}


def test_scan_is_a_subgraph_with_inner_nodes() -> None:
    code = (
        "seq = T.dvector('seq')\n"
        "acc = pytensor.scan(lambda e, a: a + e * 2, sequences=[seq],\n"
        "    outputs_info=[T.constant(0.0, dtype='float64')], return_updates=False)[-1]\n"
    )
    graph = build_one(code).views["original"]
    [sub] = [s for s in graph.subgraphs if s.kind == "Scan"]
    inner_ops = [n.label for n in graph.nodes if n.parent == sub.id and n.kind == "op"]
    assert {"add", "mul"} <= set(inner_ops)
    assert graph.node(sub.attrs["node"]).attrs["subgraph"] == sub.id


def test_op_from_graph_is_a_subgraph() -> None:
    code = "p = T.dscalar('p')\nop = pytensor.OpFromGraph([p], [p * 2 + 1])\nq = op(p) ** 2\n"
    changed, cell = run_cell(code)
    [target] = PyTensorFrontend().targets({"q": changed["q"]}, cell)
    graph = built(target, Options(), cell).views["original"]
    [sub] = graph.subgraphs
    assert sub.kind == "OpFromGraph"
    assert sorted(n.label for n in graph.nodes if n.parent == sub.id and n.kind == "op") == [
        "add",
        "mul",
    ]


#: PyTensor 3.3 compiles an ifelse into a ``LazyIfElse`` whose branches are inner graphs.
HAS_LAZY_IFELSE = importlib.util.find_spec("pytensor.conditional") is not None
IFELSE_BRANCHES = (
    "from pytensor.conditional.op import ifelse\n"
    "x = T.dvector('x')\nc = T.dscalar('c')\n"
    "f = function([x, c], ifelse(c > 0, T.exp(x), T.log(x) * 2))\n"
)


@pytest.mark.skipif(not HAS_LAZY_IFELSE, reason="PyTensor before 3.3 has no LazyIfElse")
def test_an_optimized_ifelse_opens_on_its_two_branches() -> None:
    graph = build_one(IFELSE_BRANCHES).views["optimized"]
    [lazy] = [n for n in top_ops(graph) if n.op == "LazyIfElse"]
    [sub] = [s for s in graph.subgraphs if s.kind == "LazyIfElse"]
    assert (sub.attrs["node"], lazy.attrs["subgraph"], sub.parent) == (lazy.id, sub.id, None)
    then, other = [s for s in graph.subgraphs if s.parent == sub.id]
    assert [(then.label, then.kind), (other.label, other.kind)] == [
        ("then", "branch"),
        ("else", "branch"),
    ]

    def ops(parent: str) -> list[str]:
        return [n.label for n in graph.nodes if n.parent == parent and n.kind == "op"]

    assert ops(then.id) == ["exp"]
    assert ops(other.id) == ["Composite"]
    [fused] = [s for s in graph.subgraphs if s.parent == other.id]
    assert ops(fused.id) == ["log", "mul"]
    # Collapsed, the ifelse is one box; opened, each branch is a box of its own.
    assert layout(graph).collapsed == [sub.id]
    assert layout(graph, frozenset({sub.id})).collapsed == [then.id, other.id]


def test_declared_table_for_inputs_and_types() -> None:
    code = (
        "x, y = T.dscalars('x', 'y')\n"
        "dtensor5 = TensorType('float64', (False,) * 5)\n"
        "m = T.fmatrix()\n"
        "w = shared(np.zeros((2, 3)), name='w')\n"
    )
    changed, _ = run_cell(code, {"TensorType": TensorType})
    rows = {r.name: r for r in PyTensorFrontend().declared(changed)}
    assert set(rows) == {"x", "y", "dtensor5", "m", "w"}
    assert (rows["x"].type, rows["x"].dtype, rows["x"].ndim, rows["x"].shape) == (
        "Scalar",
        "float64",
        "0",
        "()",
    )
    assert (rows["dtensor5"].type, rows["dtensor5"].shape) == ("TensorType", "(?, ?, ?, ?, ?)")
    assert (rows["m"].dtype, rows["m"].shape) == ("float32", "(?, ?)")
    assert rows["w"].type.startswith("shared") and "0." in rows["w"].shape
    assert PyTensorFrontend().targets(changed, CellInfo(code)) == []


def test_integer_input_is_reported_not_differentiated() -> None:
    code = "i = T.iscalar('i')\nq = T.dvector('q')\nr = (q ** i).sum()\n"
    gradient = build_one(code).views["gradient"]
    assert "i is an integer input (int32): it has no gradient" in gradient.notes
    assert [n.label for n in by_kind(gradient, "output")] == ["∂r/∂q"]


def test_wrt_picks_inputs_by_name() -> None:
    code = "k = T.dvector('k')\nm = T.dvector('m')\nr = (k * m).sum()\n"
    gradient = build_one(code, Options(wrt=["m", "nope"])).views["gradient"]
    assert [n.label for n in by_kind(gradient, "output")] == ["∂r/∂m"]
    assert "no input named nope" in gradient.notes


def test_disconnected_input_is_noted() -> None:
    code = (
        "u, v = T.dvectors('u', 'v')\n"
        "g = function([u, v], (u ** 2).sum(), on_unused_input='ignore')\n"
    )
    gradient = build_one(code).views["gradient"]
    assert any("does not depend on v" in note for note in gradient.notes)


def test_hint_for_removed_input_defaults() -> None:
    frontend = PyTensorFrontend()
    with pytest.raises(ValueError) as caught:
        run_cell("x, y = T.dscalars('x', 'y')\nf = function([x, In(y, value=1)], x + y)\n")
    hint = frontend.hint(caught.value)
    assert hint is not None and "functools.partial(f, y=1)" in hint
    assert frontend.hint(ValueError("something else")) is None


def test_odd_names_survive_as_plain_text() -> None:
    name = '<script>alert("x")</script> & 变量'
    x = T.dvector(name)
    bundle = built(Target("输出", "pytensor", T.exp(x)), Options(), CellInfo(""))
    original = bundle.views["original"]
    assert [n.label for n in by_kind(original, "input")] == [name]
    assert [n.label for n in by_kind(original, "output")] == ["输出"]
    assert f"∂sum(输出)/∂{name}" in [n.label for n in by_kind(bundle.views["gradient"], "output")]


def test_non_pytensor_target_is_a_trace_error() -> None:
    with pytest.raises(TraceError, match="not a PyTensor"):
        PyTensorFrontend().trace(Target("n", "pytensor", 3), Options(), CellInfo(""))


def test_observing_restores_pytensor_even_when_the_cell_fails() -> None:
    original = maker_module.construct_function_ins_and_outs
    with pytest.raises(ZeroDivisionError), PyTensorFrontend().observe():
        assert maker_module.construct_function_ins_and_outs is not original
        1 / 0  # noqa: B018
    assert maker_module.construct_function_ins_and_outs is original


def test_function_with_updates_compiled_unobserved_shows_the_compiled_graph() -> None:
    code = (
        "w = shared(np.zeros(3), name='w')\n"
        "v = T.dvector('v')\n"
        "step = function([v], (w * v).sum(), updates=[(w, w + v)])\n"
    )
    bundle = build_one(code, observe=False)
    assert bundle.views["original"].nodes == []
    assert any("compiled outside %%tgraph" in note for note in bundle.notes)
    optimized = bundle.views["optimized"]
    assert [n.label for n in by_kind(optimized, "output")] == ["step", "w (update)"]
    assert by_kind(optimized, "shared")[0].attrs["value"] == "[0., 0., 0.]"


def test_function_with_only_updates() -> None:
    code = "c = shared(np.int64(0), name='c')\ntick = function([], updates={c: c + 1})\n"
    bundle = build_one(code)
    graph = bundle.views["original"]
    assert [n.label for n in by_kind(graph, "output")] == ["c (update)"]
    assert graph.ops() == ["Add"]
    assert bundle.views["gradient"].notes == ["no floating-point output: nothing to differentiate"]


def stepper(bundle: GraphBundle, view: str) -> list[tuple[Rewrite, Graph, Graph]]:
    """(rewrite, graph before it, graph after it) for each snapshotted step."""
    before = bundle.rewrite_start[view]
    steps = []
    for rw in bundle.rewrites:
        if rw.view == view and rw.graph is not None:
            steps.append((rw, before, rw.graph))
            before = rw.graph
    return steps


def labelled(graph: Graph, ids: list[str]) -> list[str]:
    return sorted(graph.node(i).label for i in ids)


def test_stepper_shows_the_sigmoid_replacing_the_division() -> None:
    bundle = build_one(LOGISTIC)
    steps = stepper(bundle, "optimized")
    [(rw, before, after)] = [s for s in steps if s[0].name == "local_exp_over_1_plus_exp"]
    [sigmoid] = [n for n in top_ops(after) if n.label == "sigmoid"]
    assert sigmoid.id in rw.created
    assert {"true_div", "exp", "add"} <= set(labelled(before, rw.removed))
    assert not set(rw.removed) & {n.id for n in after.nodes}
    assert not set(rw.created) & {n.id for n in before.nodes}
    # The sigmoid survives: it keeps its id up to the optimized view.
    assert top_ops(bundle.views["optimized"])[0].id == sigmoid.id
    json.dumps(bundle.to_json())


def test_untouched_nodes_keep_their_ids_across_snapshots() -> None:
    bundle = build_one(LOGISTIC)
    for view in ("optimized", "gradient"):
        graphs = [bundle.rewrite_start[view]] + [after for _, _, after in stepper(bundle, view)]
        assert len(graphs) > 2
        xs = {n.id for g in graphs for n in by_kind(g, "input")}
        outs = {n.id for g in graphs for n in by_kind(g, "output")}
        assert len(xs) == len(outs) == 1
        assert xs == {n.id for n in by_kind(bundle.views[view], "input")}


def test_a_bookkeeping_rebuild_keeps_the_node_id() -> None:
    # Canonicalization recasts the constants of add and true_div (noise):
    # the rebuilt nodes are the same boxes, so local_neg_to_mul leaves them be.
    bundle = build_one(LOGISTIC)
    [(rw, before, after)] = [
        s for s in stepper(bundle, "optimized") if s[0].name == "local_neg_to_mul"
    ]
    assert labelled(before, rw.removed) == [
        "1",
        "1",
        "ExpandDims{axes=(0, 1)}",
        "ExpandDims{axes=(0, 1)}",
        "neg",
    ]
    for label in ("add", "true_div"):
        [old] = [n for n in top_ops(bundle.rewrite_start["optimized"]) if n.label == label]
        [new] = [n for n in top_ops(after) if n.label == label]
        assert old.id == new.id


@pytest.mark.parametrize(
    "code",
    [
        LOGISTIC,
        "x = T.dvector('x')\ny = x + x ** 10\n",
        "x = T.dvector('x')\ny = T.log(1 + x)\n",
        # Ends with bookkeeping: inplace rebuilds, a deep copy of an input.
        "x = T.dmatrix('x')\ny = T.dot(x, x) + 1\n",
        "x = T.dvector('x')\nf = function([x], [x, T.exp(x) * 2])\n",
        "w = shared(np.ones(3), name='w')\nv = T.dvector('v')\n"
        "train = function([v], (w * v).sum(), updates={w: w - 0.1 * v})\n",
    ],
)
def test_last_snapshot_is_the_rewritten_graph(code: str) -> None:
    bundle = build_one(code)
    for view in ("optimized", "gradient"):
        *_, (_, _, last) = stepper(bundle, view)
        assert Counter(last.ops()) == Counter(bundle.views[view].ops())
        assert {n.id for n in last.nodes} == {n.id for n in bundle.views[view].nodes}


def test_noise_steps_have_no_snapshot() -> None:
    rewrites = build_one(LOGISTIC).rewrites
    assert any(r.noise for r in rewrites)
    for rw in rewrites:
        assert (rw.graph is None) == rw.noise
        if rw.noise:
            assert rw.created == rw.removed == []


def test_bookkeeping_and_skipped_steps_fold_into_the_next_snapshot() -> None:
    rewrites = [Rewrite(i, f"r{i}", "", "", noise) for i, noise in enumerate([0, 1, 0, 0, 1])]
    x = T.dscalar("x")
    node = (x + 1).owner
    assert node is not None
    changes = [Change(step, node, 0, x) for step in [0, 0, 1, 2, 3, 3, 4]]
    history = History(changes=changes)
    assert history.cuts(rewrites, 5) == {0: 2, 2: 4, 3: 7}
    # Past the cap, the last real step still ends on the final graph.
    assert history.cuts(rewrites, 2) == {0: 2, 3: 7}


def test_stepper_is_off_for_a_large_graph() -> None:
    code = "x = T.dvector('x')\ny = x\nfor i in range(260):\n    y = T.sin(y) * 2\n"
    bundle = build_one(code, Options(wrt=["x"]))
    assert len(bundle.views["original"].nodes) > 500
    assert "the rewrite stepper is off for the optimized view: 526 nodes, more than 400" in (
        bundle.notes
    )
    assert "optimized" not in bundle.rewrite_start
    assert all(r.graph is None for r in bundle.rewrites)


def test_a_reverted_rewrite_counts_as_noise() -> None:
    # A rewrite that fails validation is undone change by change, with the
    # reason ("Revert", reason): the stepper must not show it as a step.
    a = T.dscalar("a")
    old, new = T.exp(a), T.log(a)
    node = (old + 1).owner
    recorder = RewriteRecorder()
    recorder.on_change_input(None, node, 0, old, new, "local_x")
    recorder.on_change_input(None, node, 0, new, old, ("Revert", "local_x"))
    assert [(r.name, r.noise) for r in recorder.rewrites] == [
        ("local_x", True),
        ("revert local_x", True),
    ]


# -- the lazy protocol ---------------------------------------------------------


def test_offers_name_three_views_and_the_rewrites() -> None:
    changed, cell = run_cell(LOGISTIC)
    [target] = PyTensorFrontend().targets(changed, cell)
    traced = PyTensorFrontend().trace(target, Options(), cell)
    assert traced.offers.to_json() == {
        "views": [
            {"name": "original", "title": "Original"},
            {"name": "optimized", "title": "Optimized"},
            {"name": "gradient", "title": "Gradient"},
        ],
        "rewrites": True,
        "stepper": True,
        "texts": [],
        "timing": True,
        "backend_label": "backend",
        "show_noise": False,
    }
    assert PyTensorFrontend().trace(target, Options(show_noise=True), cell).offers.show_noise
    # A small graph gets its optimized view in the cell; the gradient waits for idle time.
    assert traced.pending() == ["gradient"]
    assert set(traced.bundle.views) == {"original", "optimized"}


BIG = "x = T.dvector('x')\ny = x\nfor i in range(100):\n    y = T.sin(y) * 2\n"
HUGE = BIG.replace("range(100)", "range(400)")


def test_a_big_graphs_heavy_views_wait_with_their_task() -> None:
    changed, cell = run_cell(BIG)
    [target] = PyTensorFrontend().targets(changed, cell)
    traced = PyTensorFrontend().trace(target, Options(), cell)
    assert set(traced.bundle.views) == {"original"}
    assert {v: lazy.task for v, lazy in traced.later.items()} == {
        "optimized": "rewriting",
        "gradient": "differentiating",
    }
    assert traced.build("optimized") and traced.errors == {}
    assert set(top_ops(traced.bundle.views["optimized"])[0].op.split("{")[:1]) == {"Composite"}


def test_a_huge_graph_is_drawn_after_the_cell_too() -> None:
    changed, cell = run_cell(HUGE)
    [target] = PyTensorFrontend().targets(changed, cell)
    traced = PyTensorFrontend().trace(target, Options(), cell)
    assert traced.bundle.views == {}
    assert {v: lazy.task for v, lazy in traced.later.items()} == {
        "original": "drawing",
        "optimized": "rewriting",
        "gradient": "differentiating",
    }
    assert traced.build("original") and traced.errors == {}
    ops = [n.op.split("{")[0] for n in traced.bundle.views["original"].nodes if n.kind == "op"]
    # each step: sin, the constant 2 broadcast, the product
    assert Counter(ops) == {"Sin": 400, "ExpandDims": 400, "Mul": 400}
    assert not traced.offers.stepper  # too many nodes to replay step by step


def test_sync_builds_every_view_in_the_cell() -> None:
    changed, cell = run_cell(BIG)
    [target] = PyTensorFrontend().targets(changed, cell)
    traced = PyTensorFrontend().trace(target, Options(sync=True), cell)
    assert traced.pending() == []
    assert set(traced.bundle.views) == {"original", "optimized", "gradient"}


# -- do not rewrite twice ----------------------------------------------------------

BIG_FUNCTION = BIG + "f = function([x], y)\n"


def test_a_function_compiled_in_the_cell_is_drawn_from_its_own_compile(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import tgraph.frontends.pytensor.frontend as frontend_module

    changed, cell = run_cell(BIG_FUNCTION)
    reruns: list[object] = []
    real = frontend_module.rewrite
    monkeypatch.setattr(
        frontend_module, "rewrite", lambda *a, **k: reruns.append(a) or real(*a, **k)
    )
    [target] = PyTensorFrontend().targets(changed, cell)
    traced = PyTensorFrontend().trace(target, Options(), cell)
    # 400 nodes as written: drawing waits for idle time, and needs no rewriting.
    assert traced.later["optimized"].task == "drawing"
    assert traced.later["gradient"].task == "differentiating"
    traced.build("optimized")
    assert reruns == []
    optimized = traced.bundle.views["optimized"]
    fn = changed["f"]
    assert Counter(n.op for n in top_ops(optimized)) == Counter(
        str(n.op) for n in fn.maker.fgraph.apply_nodes
    )
    assert {r.view for r in traced.bundle.rewrites} == {"optimized"}
    assert "FusionOptimizer" in [r.name for r in traced.bundle.rewrites]


def test_observing_leaves_the_compiled_function_as_pytensor_makes_it() -> None:
    code = (
        "x = T.dmatrix('x')\nw = shared(np.ones((2, 2)), name='w')\n"
        "s = 1 / (1 + T.exp(-(x @ w)))\n"
        "f = function([x], [s, T.grad(s.sum(), x)], updates={w: w * 0.5})\n"
    )
    plain, _ = run_cell(code, observe=False)
    seen, _ = run_cell(code)
    text = [pytensor.dprint(ns["f"], file="str", print_type=True) for ns in (plain, seen)]
    assert text[0] == text[1]
    value = np.array([[0.0, 1.0], [-1.0, -2.0]])
    for a, b in zip(plain["f"](value), seen["f"](value), strict=True):
        np.testing.assert_array_equal(a, b)
    assert [type(f.maker.linker).__name__ for f in (plain["f"], seen["f"])] == ["NumbaLinker"] * 2


def test_observing_restores_every_hook() -> None:
    from pytensor.compile.executor import Function
    from pytensor.compile.maker import FunctionMaker

    hooks = (FunctionMaker.__dict__["prepare_fgraph"], Function.__call__)
    with pytest.raises(ZeroDivisionError), PyTensorFrontend().observe():
        assert FunctionMaker.__dict__["prepare_fgraph"] is not hooks[0]
        assert Function.__call__ is not hooks[1]
        1 / 0  # noqa: B018
    assert (FunctionMaker.__dict__["prepare_fgraph"], Function.__call__) == hooks


def test_the_cells_last_call_is_recorded() -> None:
    code = LOGISTIC + "logistic = function([x], s)\nlogistic([[0, 1], [-1, -2]])\n"
    changed, cell = run_cell(code)
    [target] = PyTensorFrontend().targets(changed, cell)
    assert target.args == ([[0, 1], [-1, -2]],) and target.kwargs == {}
    traced = PyTensorFrontend().trace(target, Options(), cell)
    traced.build("gradient")
    assert (
        "checked against pytensor.grad at the cell's inputs"
        in traced.bundle.views["gradient"].notes
    )


# -- one target per graph --------------------------------------------------------


def test_a_named_intermediate_is_drawn_inside_its_graph() -> None:
    changed, cell = run_cell("x = T.dvector('x')\na = x + 1\nb = a * 2\n")
    targets = PyTensorFrontend().targets(changed, cell)
    assert [t.name for t in targets] == ["b"]
    original = built(targets[0], Options(), cell).views["original"]
    [add] = [n for n in original.nodes if n.name == "a"]
    assert (add.kind, add.label) == ("op", "add")
    assert [e.label for e in original.edges if e.src == add.id] == ["a: float64 (?,)"]


def test_a_function_claims_the_intermediates_it_computes() -> None:
    code = "x = T.dvector('x')\na = T.exp(x)\nb = a.sum()\nf = function([x], b)\n"
    changed, cell = run_cell(code)
    [target] = PyTensorFrontend().targets(changed, cell)
    assert (target.name, target.aliases) == ("f", ["b"])
    original = built(target, Options(), cell).views["original"]
    assert sorted(n.name for n in original.nodes if n.kind == "op" and n.name) == ["a", "b"]


# -- every kind of variable ---------------------------------------------------------

TYPES = {
    "uniform": "u = T.random.uniform(size=(3,))\n",
    "shared_rng": "rng = T.random.shared_rng(seed=1)\n"
    "next_rng, draw = rng.normal(0, 1, size=(2,))\n",
    "stream": "import warnings\nwarnings.simplefilter('ignore')\n"
    "srng = T.random.utils.RandomStream(1)\nmu = T.dscalar('mu')\nd = srng.normal(mu, 1)\n",
    "function_of_draw": "u = T.random.uniform(size=(3,))\nf = function([], u)\n",
    "sparse": "import pytensor.sparse as sp\nm = sp.csr_matrix('m')\nq = sp.multiply(m, 2.0)\n",
    "typed_list": "from pytensor.typed_list import TypedListType, append\n"
    "tl = TypedListType(T.dvector)('tl')\nt2 = append(tl, T.dvector('v'))\n",
    "slice": "from pytensor.tensor.type_other import make_slice\n"
    "sl = make_slice(T.iscalar('i'), None, None)\n",
    # specify_shape takes NoneConst for each unknown dimension.
    "none": "nd = T.specify_shape(T.dmatrix('v'), (None, 3)) * 2\n",
    "scalar": "import pytensor.scalar as ps\na = ps.float64('a')\ny = ps.exp(a) + a\n",
    "xtensor": "import pytensor.xtensor as px\n"
    "xx = px.xtensor('xx', dims=('a', 'b'), shape=(2, 3))\nxs = (xx + 1).sum('a')\n",
}


# The type each case must show, as PyTensor writes it.
SHOWN = {
    "uniform": "RandomGeneratorType",
    "shared_rng": "RandomGeneratorType",
    "stream": "RandomGeneratorType",
    "function_of_draw": "RandomGeneratorType",
    "sparse": "SparseTensorType{dtype='float64', format='csr', shape=(None, None)}",
    "typed_list": "TypedList <Vector(float64, shape=(?,))>",
    "slice": "slice",
    "none": "NoneTypeT",
    "scalar": "float64",
    "xtensor": "XTensorType{dtype='float64', shape=(2, 3), dims=('a', 'b')}",
}


@pytest.mark.parametrize("kind", sorted(TYPES))
def test_every_kind_of_variable_is_drawn(kind: str) -> None:
    changed, cell = run_cell(TYPES[kind])
    targets = PyTensorFrontend().targets(changed, cell)
    assert targets
    for target in targets:
        traced = PyTensorFrontend().trace(target, Options(), cell)
        traced.build_all()
        assert traced.errors == {}
        original = traced.bundle.views["original"]
        types = {n.attrs.get("type") for n in original.nodes}
        types |= {e.label.split(": ")[-1].split("] ")[-1] for e in original.edges}
        assert SHOWN[kind] in types
        assert traced.bundle.views["optimized"].nodes
        json.dumps(traced.bundle.to_json())


def test_a_random_variable_shows_its_distribution_rng_and_update() -> None:
    changed, cell = run_cell(TYPES["shared_rng"])
    [target] = PyTensorFrontend().targets(changed, cell)
    assert (target.name, target.aliases) == ("next_rng", ["draw"])
    bundle = built(target, Options(), cell)
    graph = bundle.views["original"]
    [normal] = [n for n in top_ops(graph) if "random" in n.tags]
    assert (normal.label, normal.attrs["distribution"], normal.attrs["rng"]) == (
        "normal",
        "normal",
        "rng",
    )
    [rng] = by_kind(graph, "shared")
    [update] = [n for n in by_kind(graph, "output") if "update" in n.tags]
    assert (update.label, update.attrs["updates"]) == ("next_rng (update)", rng.id)
    assert bundle.views["gradient"].notes == [
        "showing the gradient of draw, the first floating-point output",
        "draw is not a scalar: showing the gradient of sum(draw)",
        "no floating-point input to differentiate with respect to",
    ]


def test_a_random_streams_draw_updates_its_generator() -> None:
    changed, cell = run_cell(TYPES["stream"])
    [target] = PyTensorFrontend().targets(changed, cell)
    bundle = built(target, Options(), cell)
    graph = bundle.views["original"]
    [update] = [n for n in by_kind(graph, "output") if "update" in n.tags]
    [rng] = by_kind(graph, "shared")
    assert update.attrs["updates"] == rng.id
    [note] = bundle.views["gradient"].notes
    assert note.startswith("PyTensor cannot differentiate d: ")
    assert note.endswith("No gradient defined for random variables")
    assert bundle.views["gradient"].nodes == []


# -- rewrites by view and pass ------------------------------------------------------


def test_rewrites_are_numbered_per_view_and_name_their_pass() -> None:
    bundle = build_one(LOGISTIC)
    for view in ("optimized", "gradient"):
        steps = [r.step for r in bundle.rewrites if r.view == view]
        assert steps == list(range(len(steps)))
    passes = {r.name: r.pass_name for r in bundle.rewrites if r.view == "optimized"}
    assert passes["local_exp_over_1_plus_exp"] == "stabilize"
    assert passes["local_neg_to_mul"] == "canonicalize"
    assert passes["local_mul_specialize"] == "specialize"
    gradient = {r.name: r.pass_name for r in bundle.rewrites if r.view == "gradient"}
    assert gradient["FusionOptimizer"] == "fusion"


def test_a_grouped_rewrite_is_named_by_the_member_that_fired() -> None:
    bundle = build_one(LOGISTIC)
    names = [r.name for r in bundle.rewrites if r.view == "gradient"]
    assert "local_useless_fill" in names
    assert "SequentialNodeRewriter" not in names


# -- the gradient check -----------------------------------------------------------------


def test_a_gradient_is_checked_at_made_up_inputs_without_a_call() -> None:
    gradient = build_one(LOGISTIC).views["gradient"]
    assert gradient.notes[-1] == "checked against pytensor.grad at made-up inputs"


def test_a_gradient_that_disagrees_is_not_shown() -> None:
    from pytensor.graph.fg import FunctionGraph

    from tgraph.frontends.pytensor.capture import plan
    from tgraph.frontends.pytensor.gradient import _check

    x = T.dvector("x")
    target = Target("y", "pytensor", (x**2).sum())
    wrong = FunctionGraph([x], [x * 3], clone=False)  # d/dx sum(x**2) is 2x
    problem, checked = _check(wrong, [T.grad((x**2).sum(), x)], plan(target), target)
    assert problem.startswith("the drawn gradient disagrees with pytensor.grad at made-up inputs")
    assert checked == ""
    right = FunctionGraph([x], [x * 2], clone=False)
    assert _check(right, [T.grad((x**2).sum(), x)], plan(target), target) == (
        "",
        "checked against pytensor.grad at made-up inputs",
    )


# -- cells from PyTensor's and Theano's issue trackers (see tests/python/README.md) --


def gradient_notes(code: str) -> list[str]:
    changed, cell = run_cell(code)
    [target] = PyTensorFrontend().targets(changed, cell)
    return built(target, Options(), cell).views["gradient"].notes


def test_a_draw_from_a_random_stream_is_differentiated_without_its_generator_update() -> None:
    """The stream's shared generator carries a default update, which is no part of a gradient."""
    code = (
        "import warnings\nwarnings.simplefilter('ignore')\n"
        "srng = T.random.utils.RandomStream(seed=3)\nmu = T.dscalar('mu')\n"
        "noisy = mu + srng.normal(0, 1, size=(3,))\nsample = function([mu], noisy)\n"
        "first = sample(1.0)\n"
    )
    changed, cell = run_cell(code)
    [target] = PyTensorFrontend().targets(changed, cell)
    gradient = built(target, Options(), cell).views["gradient"]
    assert gradient.notes == [
        "noisy is not a scalar: showing the gradient of sum(noisy)",
        "checked against pytensor.grad at the cell's inputs",
    ]
    assert [n.label for n in by_kind(gradient, "output")] == ["∂sum(noisy)/∂mu"]


def test_a_gradient_through_givens_reaches_the_index_they_read() -> None:
    """A minibatch given by ``data[index * 5:(index + 1) * 5]`` needs ``index``."""
    notes = gradient_notes(
        "data = shared(np.arange(20.0).reshape(10, 2), name='data')\n"
        "w = shared(np.ones(2), name='w')\nxb = T.dmatrix('xb')\nindex = T.lscalar('index')\n"
        "cost = ((xb @ w) ** 2).mean()\n"
        "train = function([index], cost, updates=[(w, w - 0.001 * pytensor.grad(cost, w))],\n"
        "                 givens={xb: data[index * 5:(index + 1) * 5]})\nc0 = train(0)\n"
    )
    assert notes == [
        "index is an integer input (int64): it has no gradient",
        "checked against pytensor.grad at the cell's inputs",
    ]


def test_inputs_that_are_not_tensors_are_named_by_their_type() -> None:
    notes = gradient_notes(
        "from pytensor.typed_list import TypedListType, append, getitem\n"
        "lst = TypedListType(T.dvector)('lst')\nextra = T.dvector('extra')\n"
        "last = getitem(append(lst, extra), -1).sum()\n"
        "f = function([lst, extra], last)\ngot = f([np.ones(2)], np.arange(3.0))\n"
    )
    assert notes == [
        "lst is of type TypedList <Vector(float64, shape=(?,))>: it has no gradient",
        "PyTensor cannot differentiate last: pullback not implemented for GetItem",
    ]


def test_an_xtensor_gradient_shows_pytensors_own_answer() -> None:
    notes = gradient_notes(
        "import pytensor.xtensor as px\n"
        "xa = px.xtensor('xa', dims=('city', 'year'), shape=(2, 3))\n"
        "ya = (xa ** 2).sum('year')\n"
    )
    assert notes[0] == "ya is not a scalar: showing the gradient of sum(ya)"
    assert notes[1].startswith("PyTensor cannot differentiate sum(ya): ")
    with pytest.raises(Exception) as refused:
        import pytensor.xtensor as px

        xa = px.xtensor("xa", dims=("city", "year"), shape=(2, 3))
        pytensor.grad((xa**2).sum("year").sum(), xa)
    assert notes[1] == f"PyTensor cannot differentiate sum(ya): {refused.value}"


def test_pytensors_debugging_help_stays_out_of_notes() -> None:
    """A missing input's message ends with the stack that built it: paths of this machine."""
    from tgraph.frontends.pytensor.labels import said as _said

    q = T.dscalar("q")
    with pytest.raises(Exception) as missing:
        function([], q * 2)
    assert "Backtrace when" in str(missing.value)
    assert _said(missing.value) == (
        "Input 0 (q) of the graph (indices start from 0), used to compute Mul(q, 2), "
        "was not provided and not given a value."
    )
