"""The magic in a real IPython shell: what a user sees, and what must not change."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import nbformat
import numpy as np
import pytest
from IPython.core.interactiveshell import InteractiveShell

from conftest import Ran, run
from tgraph.magic import parse_options, split_line

EXAMPLES = Path(__file__).parents[2] / "examples"
WIDGET_MIME = "application/vnd.jupyter.widget-view+json"


def entries(shell: InteractiveShell) -> list[Any]:
    return shell.magics_manager.registry["TgraphMagics"].registry.entries


def tgraph_output(data: dict[str, Any]) -> bool:
    """The widget, one of the static copy's outputs shown before it, or the declared table."""
    static = data.get("text/html", "") + data.get("image/svg+xml", "")
    return WIDGET_MIME in data or "data-tg-static=" in static or 'class="tg-declared"' in static


def tutorial_cells(name: str = "pytensor_basics") -> list[str]:
    notebook = nbformat.read(EXAMPLES / f"{name}.ipynb", as_version=4)
    return [c.source for c in notebook.cells if c.cell_type == "code"]


def summarize(value: Any) -> Any:
    """What a user can observe of a value, without object addresses."""
    if isinstance(value, np.ndarray) or (hasattr(value, "__array__") and hasattr(value, "dtype")):
        array = np.asarray(value)
        return (type(value).__name__, array.dtype.str, repr(array.tolist()))  # NaN == NaN
    if isinstance(value, int | float | str | bool | np.generic):
        return value
    if isinstance(value, tuple | list):
        return [summarize(v) for v in value]
    for attr in ("type", "name"):
        if not hasattr(value, attr):
            break
    else:
        return (type(value).__name__, str(value.type), value.name)
    return type(value).__name__


def without_counts(text: str) -> str:
    """Prompt numbers and cell file names differ between two runs; nothing else may."""
    text = re.sub(r"(Out|In)\[\d+\]", r"\1[]", text)
    return re.sub(r"ipykernel_\d+/\d+\.py|<ipython-input-\d+-\w+>", "<cell>", text)


_CELL_FRAME = re.compile(r"(Cell In\[\d*\], line )(\d+)")
_CONTEXT = re.compile(r"^(-*>?)\s*(\d+)(.*)$", re.S)


def cell_lines(text: str, shift: int = 0) -> str:
    """Cell line numbers moved by ``shift`` in tracebacks, context lines aligned alike.

    A cell with the magic counts the magic line, as the user sees the cell:
    its traceback numbers are the plain cell's plus one, and nothing else differs.
    """
    out: list[str] = []
    in_cell = False
    for line in text.splitlines(True):
        frame = _CELL_FRAME.search(line)
        if frame:
            in_cell = True
            line = _CELL_FRAME.sub(lambda m: f"{m[1]}{int(m[2]) + shift}", line)
        elif in_cell and (context := _CONTEXT.match(line.lstrip(" "))):
            line = f"{context[1] or '  '} {int(context[2]) + shift}{context[3]}"
        else:
            in_cell = in_cell and line.strip() != ""
        out.append(line)
    return "".join(out)


def without_tgraph_lines(text: str) -> str:
    return "".join(line for line in text.splitlines(True) if not line.startswith("tgraph: "))


def observe(shell: InteractiveShell, ran: Ran, shift: int = 0) -> dict[str, Any]:
    ns = {
        name: summarize(value)
        for name, value in shell.user_ns.items()
        if not name.startswith("_") and name not in shell.user_ns_hidden
    }
    error = None if ran.error is None else (type(ran.error).__name__, str(ran.error))
    return {
        "namespace": ns,
        "stdout": cell_lines(without_counts(ran.stdout), shift),
        "stderr": cell_lines(without_counts(without_tgraph_lines(ran.stderr)), shift),
        "displays": [d for d in ran.outputs if not tgraph_output(d)],
        "result": summarize(ran.result),
        "error": error,
    }


def strip_magic(cell: str) -> str:
    return cell.split("\n", 1)[1] if cell.startswith("%%tgraph") else cell


@pytest.mark.parametrize(("name", "magic_cells"), [("pytensor_basics", 16), ("jax_basics", 7)])
def test_example_cells_behave_exactly_as_without_the_magic(
    shell: InteractiveShell, name: str, magic_cells: int
) -> None:
    cells = tutorial_cells(name)
    assert sum(c.startswith("%%tgraph") for c in cells) == magic_cells
    plain = [observe(shell, run(shell, strip_magic(c))) for c in cells]
    shell.reset(new_session=False)
    traced = [observe(shell, run(shell, c), -c.startswith("%%tgraph")) for c in cells]
    for cell, without, with_magic in zip(cells, plain, traced, strict=True):
        assert with_magic == without, cell


def test_every_tutorial_graph_is_shown_and_registered(shell: InteractiveShell) -> None:
    shown = []
    for cell in tutorial_cells():
        ran = run(shell, cell)
        widgets = sum(WIDGET_MIME in d for d in ran.outputs)
        tables = sum('class="tg-declared"' in d.get("text/html", "") for d in ran.outputs)
        shown.append((widgets, tables))
    # Per code cell: (graphs, tables of declared inputs). Cells 2-5 and 9 only
    # declare, cell 7 fails on purpose, cells 0, 1 and 10 make nothing to draw.
    declares, graph, nothing = (0, 1), (1, 0), (0, 0)
    assert (
        shown
        == [nothing, nothing]
        + [declares] * 4
        + [graph, nothing, graph, declares]
        + [nothing]
        + [graph] * 6
    )
    names = [e.bundle.target for e in entries(shell)]
    assert names == ["f", "add", "advance", "f", "logistic", "dLogistic", "safe_log", "f_nan"]
    for entry in entries(shell):
        built_or_pending = set(entry.bundle.views) | set(entry.traced.later)
        assert built_or_pending == {"original", "optimized", "gradient"}


def test_function_and_its_variables_are_one_target(shell: InteractiveShell) -> None:
    run(shell, "import pytensor.tensor as T\nfrom pytensor import function")
    ran = run(shell, "%%tgraph\nx, y = T.dscalars('x', 'y')\nz = x + y\nf = function([x, y], z)")
    assert ran.error is None
    assert [e.bundle.target for e in entries(shell)] == ["f"]
    assert sum(WIDGET_MIME in d for d in ran.outputs) == 1


def test_out_history_and_display_are_ipythons(shell: InteractiveShell) -> None:
    run(shell, "import pytensor.tensor as T\nfrom pytensor import function")
    ran = run(shell, "%%tgraph\nx = T.dvector('x')\nf = function([x], 2 * x)\nf([1.0, 2.0])")
    count = shell.execution_count - 1
    np.testing.assert_allclose(shell.user_ns["Out"][count], [2.0, 4.0])
    assert f"Out[{count}]: array([2., 4.])" in ran.stdout


def test_failing_cell_keeps_its_own_error_and_traceback(shell: InteractiveShell) -> None:
    ran = run(shell, "%%tgraph\nimport pytensor.tensor as T\nx = T.dvector('x')\n1 / 0")
    assert isinstance(ran.error, ZeroDivisionError)
    assert entries(shell) == []
    assert not any(tgraph_output(d) for d in ran.outputs)
    # The traceback points at the cell's own line 4, counting the magic line.
    assert re.search(r"----> 4 1 / 0", ran.stdout), ran.stdout
    assert "tgraph" not in ran.stderr


@pytest.mark.parametrize("body", ["x = (1,\n", "def f():\n    return 1\n  f()\n"])
def test_syntax_error_is_reported_by_python_alone(shell: InteractiveShell, body: str) -> None:
    ran = run(shell, "%%tgraph\n" + body)
    plain = run(shell, body)
    assert isinstance(ran.error, SyntaxError)
    assert type(ran.error) is type(plain.error)
    assert entries(shell) == []
    assert "tgraph" not in ran.stderr + ran.stdout


def test_removed_default_values_get_the_original_error_and_a_hint(shell: InteractiveShell) -> None:
    setup = "import pytensor.tensor as T\nfrom pytensor import function, In\n"
    setup += "x, y = T.dscalars('x', 'y')\nz = x + y"
    run(shell, setup)
    ran = run(shell, "%%tgraph\nf = function([x, In(y, value=1)], z)")
    plain = run(shell, "f = function([x, In(y, value=1)], z)")
    assert type(ran.error) is type(plain.error) is ValueError
    assert str(ran.error) == str(plain.error)
    hints = [line for line in ran.stderr.splitlines() if line.startswith("tgraph:")]
    assert len(hints) == 1
    assert "default" in hints[0]


def test_cell_without_graphs_gets_a_one_line_note(shell: InteractiveShell) -> None:
    ran = run(shell, "%%tgraph\nanswer = 6 * 7\nanswer")
    assert ran.result == 42
    assert ran.stderr.strip().count("\n") == 0
    assert ran.stderr == "tgraph: this cell defined no graph to show.\n"


def test_unknown_target_name_is_a_clear_error_after_the_cell(shell: InteractiveShell) -> None:
    ran = run(shell, "%%tgraph nope\nvalue = 1")
    assert shell.user_ns["value"] == 1
    assert "no variable named 'nope'" in ran.stderr


def test_named_target_restricts_what_is_shown(shell: InteractiveShell) -> None:
    run(shell, "import pytensor.tensor as T")
    ran = run(shell, "%%tgraph b\nx = T.dvector('x')\na = T.exp(x)\nb = T.log(1 + x)")
    assert [e.bundle.target for e in entries(shell)] == ["b"]
    assert sum(WIDGET_MIME in d for d in ran.outputs) == 1


def test_declarations_only_get_a_table(shell: InteractiveShell) -> None:
    run(shell, "import pytensor.tensor as T")
    ran = run(shell, "%%tgraph\nx = T.dmatrix('x')\nk = T.iscalar('k')")
    assert entries(shell) == []
    html = "".join(d.get("text/html", "") for d in ran.outputs)
    rows = [re.findall(r"<t[hd]>(.*?)</t[hd]>", row) for row in re.findall(r"<tr>(.*?)</tr>", html)]
    assert rows == [
        ["name", "type", "dtype", "ndim", "shape"],
        ["x", "Matrix", "float64", "2", "(?, ?)"],
        ["k", "Scalar", "int32", "0", "()"],
    ]


@pytest.mark.parametrize("name", ["<script>alert(1)</script>", "a\"b'c", "x & y", "张量"])
def test_hostile_names_are_text_never_markup(shell: InteractiveShell, name: str) -> None:
    run(shell, "import pytensor.tensor as T")
    shell.user_ns["label"] = name
    ran = run(shell, "%%tgraph\nx = T.dvector(label)\ny = T.exp(x)")
    bundle = entries(shell)[-1].bundle
    assert name in [n.name for n in bundle.views["original"].nodes]
    html = "".join(d.get("text/html", "") for d in ran.outputs)
    assert "<script>alert" not in html
    if "<" in name or "&" in name:
        assert name not in html


def test_magic_line_parsing() -> None:
    assert split_line("f(x0, y0) g --wrt 0,1") == ["f(x0, y0)", "g", "--wrt", "0,1"]
    options = parse_options(" f(x0, y0) g --wrt 0,1 --show-noise --no-run --size 8")
    assert options.names == ["f", "g"]
    assert options.calls == {"f": "f(x0, y0)"}
    assert options.wrt == ["0", "1"]
    assert options.show_noise and not options.run and options.size == 8


def test_a_call_on_the_magic_line_traces_a_plain_function(shell: InteractiveShell) -> None:
    run(shell, "import jax.numpy as jnp\nimport numpy as np")
    cell = (
        "%%tgraph --no-run f(x0)\n"
        "def f(x):\n    return jnp.tanh(x) * 2\n"
        "x0 = np.ones(3, np.float32)"
    )
    ran = run(shell, cell)
    assert ran.error is None
    [entry] = entries(shell)
    assert entry.bundle.target == "f"
    assert "tanh" in entry.bundle.views["original"].ops()
    assert sum(WIDGET_MIME in d for d in ran.outputs) == 1


def test_nodes_know_their_cell_and_line(shell: InteractiveShell) -> None:
    run(shell, "import pytensor.tensor as T")
    ran = run(shell, "%%tgraph --no-run\nx = T.dvector('x')\n\ny = T.exp(x) + 1")
    assert ran.error is None
    [entry] = entries(shell)
    assert entry.bundle.cell == shell.execution_count - 1
    exp = next(n for n in entry.bundle.views["original"].nodes if n.label == "exp")
    assert exp.source is not None
    assert exp.source.line == 4
    assert exp.source.text == "y = T.exp(x) + 1"


def test_a_framework_imported_by_the_cell_itself_is_observed() -> None:
    # A fresh interpreter: here PyTensor is imported before the cell runs.
    script = """
from IPython.core.interactiveshell import InteractiveShell
shell = InteractiveShell.instance()
shell.run_line_magic("load_ext", "tgraph")
shell.run_cell('''%%tgraph --no-run
import pytensor.tensor as T
from pytensor import function, shared
count = shared(0.0, name="count")
step = T.dscalar("step")
advance = function([step], count, updates=[(count, count + step)])''')
[entry] = shell.magics_manager.registry["TgraphMagics"].registry.entries
original = entry.bundle.views["original"]
print("UPDATES", sum("update" in n.tags for n in original.nodes))
"""
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=300
    )
    assert "UPDATES 1" in done.stdout, done.stdout + done.stderr
