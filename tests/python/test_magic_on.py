"""``%tgraph on`` / ``%tgraph off``: every later cell traced as if it began with ``%%tgraph``.

The cells keep their behaviour exactly (namespace, outputs, stderr,
errors); a cell with nothing to show stays silent in this mode.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from IPython.core.interactiveshell import InteractiveShell

from conftest import run
from test_magic import WIDGET_MIME, entries, observe

CELLS = [
    "import jax, jax.numpy as jnp",
    "@jax.jit\ndef f(x):\n    return jnp.cos(x) + 1.0",
    "y = f(jnp.ones(3))",
    "z = f(jnp.ones((2, 2)))\nprint('z done')",
    "w = 1 + 2",  # nothing to show: silent
    "boom = f(jnp.ones(3)) + undefined_name",  # the cell's own error, unchanged
]


@pytest.fixture
def magics(shell: InteractiveShell) -> Iterator[Any]:
    found = shell.magics_manager.registry["TgraphMagics"]
    yield found
    found.always = None


def test_on_traces_every_later_cell_and_off_none(shell: InteractiveShell, magics: Any) -> None:
    plain = [observe(shell, run(shell, c)) for c in CELLS]
    shell.reset(new_session=False)
    switched = run(shell, "%tgraph on --no-run")
    assert switched.stderr == "" and switched.outputs == []
    ran = []
    for cell, without in zip(CELLS, plain, strict=True):
        ran.append(run(shell, cell))
        assert observe(shell, ran[-1]) == without, cell
    shown = [sum(WIDGET_MIME in d for d in r.outputs) for r in ran]
    assert shown == [0, 0, 1, 1, 0, 0]
    assert [e.bundle.info["call"] for e in entries(shell)] == ["f(f32[3])", "f(f32[2,2])"]
    assert all(r.stderr.count("tgraph:") == 0 for r in ran)  # silent when nothing to show
    assert not any(e.traced.offers.timing and e.timings for e in entries(shell))

    run(shell, "%tgraph off")
    after = [run(shell, c) for c in CELLS[2:4]]
    assert [sum(WIDGET_MIME in d for d in r.outputs) for r in after] == [0, 0]
    assert len(entries(shell)) == 2


def test_on_keeps_its_options_and_a_magic_cell_keeps_its_own(
    shell: InteractiveShell, magics: Any
) -> None:
    run(shell, CELLS[0])
    run(shell, CELLS[1])
    run(shell, "%tgraph on --no-run --wrt 0")
    run(shell, "y = f(jnp.ones(3))")
    assert len(entries(shell)) == 1
    assert magics.always == "--no-run --wrt 0"
    run(shell, "%%tgraph f\ny = f(jnp.ones(5))")  # its own line wins
    assert entries(shell)[-1].bundle.info["call"] == "f(f32[5])"


@pytest.mark.parametrize(
    ("line", "said"),
    [
        ("%tgraph sometimes", "tgraph: the line magic is %tgraph on [options] or %tgraph off\n"),
        (
            "%tgraph on f",
            "tgraph: %tgraph on takes options only: name targets on a %%tgraph cell\n",
        ),
    ],
)
def test_a_wrong_line_says_so_and_changes_nothing(
    shell: InteractiveShell, magics: Any, line: str, said: str
) -> None:
    ran = run(shell, line)
    assert ran.stderr == said
    assert magics.always is None
