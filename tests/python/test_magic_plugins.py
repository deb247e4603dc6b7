"""A third framework, installed through its entry point, works in the magic unchanged."""

from __future__ import annotations

from IPython.core.interactiveshell import InteractiveShell

from conftest import run

CELL = """%%tgraph
import toyexpr as tx
x = tx.Var("x")
a = x * 3
b = a + 1 * x
"""


def test_a_plugin_frontend_draws_its_graph(
    shell: InteractiveShell, toyexpr_installed: None
) -> None:
    ran = run(shell, CELL)
    assert ran.error is None and ran.stderr == ""
    entries = shell.magics_manager.registry["TgraphMagics"].registry.entries
    assert [(e.bundle.target, e.bundle.framework) for e in entries] == [("b", "toyexpr")]
    entry = entries[0]
    original = entry.bundle.views["original"]
    assert sorted(original.ops()) == ["add", "mul", "mul"]
    assert "a" in {n.name for n in original.nodes}
    assert entry.pending() == {
        "optimized": {"task": "folding constants", "started": None},
        "gradient": {"task": "differentiating", "started": None},
    }
    assert entry.build("optimized")
    # 1 * x folds to x: one mul and one add are left
    assert sorted(entry.bundle.views["optimized"].ops()) == ["add", "mul"]
    assert entry.pending() == {"gradient": {"task": "differentiating", "started": None}}
