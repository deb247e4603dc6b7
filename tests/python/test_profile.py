"""The neutral profile result: ranking, fractions and the JSON the widget colours by."""

from __future__ import annotations

import pytest

from tgraph.profile import ProfileResult, ranked


def test_ranking_is_seconds_per_call_largest_first() -> None:
    entries, total = ranked(
        {"n1": 0.3, "n2": 0.9, "n3": 0.0}, {"n1": "add", "n2": "dot"}, {"n2": 2}, calls=3
    )
    assert [(e.key, e.label, e.count) for e in entries] == [
        ("n2", "dot", 2),
        ("n1", "add", 1),
        ("n3", "n3", 1),
    ]
    assert [e.seconds for e in entries] == pytest.approx([0.3, 0.1, 0.0])
    assert [e.fraction for e in entries] == pytest.approx([0.75, 0.25, 0.0])
    assert total == pytest.approx(0.4)


def test_json_colours_node_ids_of_its_view() -> None:
    result = ProfileResult("f", "test", "cvm", "cpu:0", calls=3)
    result.entries, result.total_s = ranked({"n1": 0.3, "n2": 0.9}, {}, {}, calls=3)
    data = result.to_json(n=1)
    assert data["view"] == "optimized"
    assert data["colours"] == {"n2": pytest.approx(0.75), "n1": pytest.approx(0.25)}
    assert [e["key"] for e in data["top"]] == ["n2"]
