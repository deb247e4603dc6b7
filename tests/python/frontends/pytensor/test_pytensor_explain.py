"""Each rewrite explained: what it does, the passes it belongs to, where it lives.

Expected values are PyTensor's own (its docstrings and definitions, read at
test time) and one literal a user reads in the rewrite list, so the test
fails both when tgraph misreads PyTensor and when it shows something else.
"""

from __future__ import annotations

import inspect
from typing import Any

import pytensor.tensor.rewriting.math as rewriting_math
from pytensor.graph.rewriting.basic import PatternNodeRewriter
from test_pytensor_frontend import LOGISTIC, build_one

from tgraph.entry import Entry
from tgraph.frontends.pytensor.explain import _defined, _index, explain
from tgraph.graph import GraphBundle, Rewrite
from tgraph.protocol import Offers, Traced, ViewOffer
from tgraph.registry import Registry
from tgraph.widget import GraphWidget


def sigmoid_rewrite(bundle: GraphBundle) -> Rewrite:
    [found] = [
        r
        for r in bundle.rewrites
        if r.view == "optimized" and r.name == "local_exp_over_1_plus_exp"
    ]
    return found


def test_the_logistic_rewrite_names_its_pass_its_doc_and_where_it_is_defined() -> None:
    rewrite = sigmoid_rewrite(build_one(LOGISTIC))
    fn = rewriting_math.local_exp_over_1_plus_exp.fn
    assert rewrite.doc == "exp(x)/(1+exp(x)) -> sigm(x)"
    assert rewrite.doc == inspect.getdoc(fn).splitlines()[0]  # type: ignore[union-attr]
    assert (rewrite.pass_name, rewrite.passes) == ("stabilize", ["stabilize"])
    assert (rewrite.module, rewrite.line) == (
        "pytensor.tensor.rewriting.math",
        inspect.getsourcelines(fn)[1],
    )


def test_every_pass_a_rewrite_is_registered_under_is_listed() -> None:
    # local_log1p is registered for stabilize and specialize; fusion is a pass of its own.
    assert explain("local_log1p").passes == ["specialize", "stabilize"]
    assert explain("FusionOptimizer").passes == ["fusion"]
    assert explain("FusionOptimizer").module == "pytensor.tensor.rewriting.elemwise"
    assert explain("not_a_rewrite") == explain("")


def test_a_rewrite_written_as_a_class_points_at_its_class_statement() -> None:
    from pytensor.tensor.rewriting.elemwise import FusionOptimizer

    assert explain("FusionOptimizer").line == inspect.getsourcelines(FusionOptimizer)[1]
    # Every class-defined rewrite PyTensor registers, against inspect's own answer.
    classes = {
        name: type(next(iter(found.values())))
        for name, found in _index().items()
        if _defined(next(iter(found.values()))) is type(next(iter(found.values())))
        and not isinstance(next(iter(found.values())), PatternNodeRewriter)
    }
    assert len(classes) > 20
    for name, cls in classes.items():
        assert explain(name).line == inspect.getsourcelines(cls)[1], name


def test_a_pattern_rewrite_reads_as_its_pattern() -> None:
    assert explain("useless_Neg_of_Neg").doc == "neg(neg(~x)) -> ~x"


def entry_for(bundle: GraphBundle) -> Entry:
    return Entry("g1", Traced(bundle, Offers([ViewOffer(v, v) for v in bundle.views])))


def test_the_source_comes_on_request_from_the_installed_pytensor() -> None:
    bundle = build_one(LOGISTIC)
    reply = entry_for(bundle).rewrite_source("local_exp_over_1_plus_exp")
    expected = "".join(inspect.getsourcelines(rewriting_math.local_exp_over_1_plus_exp.fn)[0])
    assert reply["source"] == expected
    assert reply["source"].startswith("@register_stabilize\n@node_rewriter([true_div])\n")
    assert "def local_exp_over_1_plus_exp(fgraph, node):" in reply["source"]
    assert (reply["module"], "error" in reply) == ("pytensor.tensor.rewriting.math", False)


def test_the_panel_and_the_widget_answer_with_the_same_source() -> None:
    bundle = build_one(LOGISTIC)
    registry = Registry()
    entry = registry.add(Traced(bundle, Offers([ViewOffer("optimized", "Optimized")])))
    request = {"type": "source", "id": entry.id, "name": "local_exp_over_1_plus_exp"}
    panel = registry.answer(request)
    assert panel is not None and panel["type"] == "source"
    sent: list[Any] = []
    widget = GraphWidget(entry)
    widget.send = sent.append  # type: ignore[method-assign]
    widget._on_request(widget, {"type": "source", "name": "local_exp_over_1_plus_exp"}, [])
    assert sent == [{k: v for k, v in panel.items() if k != "id"}]
    assert panel["id"] == entry.id and panel["line"] > 0


def test_only_the_graphs_own_rewrites_can_be_read() -> None:
    bundle = GraphBundle("f", "pytensor", {}, rewrites=[Rewrite(0, "mine", "a", "b")])
    entry = entry_for(bundle)
    assert entry.rewrite_source("os.path") == {
        "type": "source",
        "name": "os.path",
        "module": "",
        "line": 0,
        "source": "",
        "error": "where os.path is defined is not known",
    }
    assert entry.rewrite_source("mine")["error"] == "where mine is defined is not known"
