"""The side panel's protocol: what the kernel answers, and what it refuses."""

from __future__ import annotations

import logging

import pytest
from IPython.core.interactiveshell import InteractiveShell

from conftest import run
from tgraph.registry import Registry

LOGISTIC = (
    "%%tgraph --no-run\nx = T.dmatrix('x')\ns = 1 / (1 + T.exp(-x))\n"
    "logistic = function([x], s)\ngrad_s = function([x], T.grad(T.sum(s), x))"
)


@pytest.fixture
def registry(shell: InteractiveShell) -> Registry:
    run(shell, "import pytensor.tensor as T\nfrom pytensor import function")
    ran = run(shell, LOGISTIC)
    assert ran.error is None, ran.stderr
    return shell.magics_manager.registry["TgraphMagics"].registry


def test_listing_is_newest_first_with_node_counts(registry: Registry) -> None:
    listing = registry.answer({"type": "list"})
    assert listing is not None
    names = [e["name"] for e in listing["entries"]]
    assert names == ["grad_s", "logistic"]
    logistic = listing["entries"][1]
    assert logistic["framework"] == "pytensor"
    assert logistic["nodes"]["original"] > logistic["nodes"]["optimized"] >= 1


def test_get_sends_the_bundle_and_a_picture_of_every_view(registry: Registry) -> None:
    entry_id = registry.entries[0].id
    reply = registry.answer({"type": "get", "id": entry_id})
    assert reply is not None and reply["type"] == "graph"
    assert set(reply["layouts"]) == set(reply["bundle"]["views"])
    for picture in reply["layouts"].values():
        assert picture["svg"].lstrip().startswith("<svg") or "<svg" in picture["svg"]


def test_layout_expands_a_subgraph(registry: Registry) -> None:
    entry = next(e for e in registry.entries if e.bundle.target == "grad_s")
    fused = entry.bundle.views["optimized"].subgraphs[0]
    closed = registry.answer({"type": "layout", "id": entry.id, "view": "optimized"})
    opened = registry.answer(
        {"type": "layout", "id": entry.id, "view": "optimized", "expanded": [fused.id]}
    )
    assert closed is not None and opened is not None
    assert fused.id in closed["meta"]["collapsed"]
    assert fused.id in opened["meta"]["expanded"]
    assert opened["meta"]["visible"] > closed["meta"]["visible"]


def test_stepper_pictures_run_from_start_to_the_optimized_graph(registry: Registry) -> None:
    entry = registry.entries[0]
    steps = [r for r in entry.bundle.rewrites if r.view == "optimized" and r.graph]
    assert steps, "the logistic rewrites must be recorded step by step"
    ask = {"type": "layout", "id": entry.id, "view": "optimized"}
    first = registry.answer({**ask, "step": 0})
    last = registry.answer({**ask, "step": len(steps)})
    assert first is not None and last is not None
    assert "sigmoid" not in first["svg"].lower()
    assert "sigmoid" in last["svg"].lower()
    assert registry.answer({**ask, "step": len(steps) + 1}) is None


def test_dot_export_is_graphviz_source(registry: Registry) -> None:
    entry = registry.entries[0]
    reply = registry.answer({"type": "dot", "id": entry.id, "view": "original"})
    assert reply is not None
    assert reply["dot"].lstrip().startswith("digraph")


@pytest.mark.parametrize(
    "message",
    [
        {"type": "execute", "code": "import os"},
        {"type": "get", "id": "no-such-graph"},
        {"type": "layout", "id": "g1", "view": "not-a-view"},
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
