"""Running test code as notebook cells under the JAX frontend, and building every view."""

from __future__ import annotations

import itertools
import linecache
import re
import textwrap
from pathlib import Path
from typing import Any

from tgraph.frontends.jax import JaxFrontend
from tgraph.frontends.jax.gradient import REFUSED
from tgraph.graph import GraphBundle
from tgraph.protocol import CellInfo, Options, Target

_COUNTER = itertools.count()
EXAMPLES = Path(__file__).parents[4] / "examples"


def example_cells(name: str, sizes: str = "") -> list[str]:
    """The ``# %%`` cells of ``examples/<name>.py``, ``sizes`` run at the end of the first.

    The examples hold the programs users bring (a transformer's training
    step); the tests run them as they are, with smaller sizes.
    """
    text = (EXAMPLES / f"{name}.py").read_text("utf-8")
    cells = re.split(r"^# %%.*\n", text, flags=re.M)[1:]
    return [cells[0] + sizes, *cells[1:]]


def run_cell(
    src: str, observe: bool = True, namespace: dict[str, Any] | None = None
) -> tuple[dict[str, Any], CellInfo]:
    """Run ``src`` the way IPython runs a cell: own file name, in linecache."""
    src = textwrap.dedent(src)
    filename = f"<tgraph-test-cell-{next(_COUNTER)}>"
    linecache.cache[filename] = (len(src), None, src.splitlines(True), filename)
    namespace = {} if namespace is None else namespace
    code = compile(src, filename, "exec")
    if observe:
        with JaxFrontend().observe():
            exec(code, namespace)
    else:
        exec(code, namespace)
    return namespace, CellInfo(code=src, filename=filename)


def targets(ns: dict[str, Any], cell: CellInfo) -> list[Target]:
    changed = {k: v for k, v in ns.items() if not k.startswith("__")}
    return JaxFrontend().targets(changed, cell)


def target_of(src: str, name: str) -> tuple[Target, CellInfo, dict[str, Any]]:
    ns, cell = run_cell(src)
    found = {t.name: t for t in targets(ns, cell)}
    assert name in found, f"{name} not among targets {list(found)}"
    return found[name], cell, ns


def build_one(src: str, name: str, **options: Any) -> tuple[GraphBundle, CellInfo]:
    target, cell, _ = target_of(src, name)
    return build(target, Options(**options), cell), cell


def build(target: Target, options: Options, cell: CellInfo) -> GraphBundle:
    """Every view, as the widget would get them one by one.

    Every gradient the suite draws has passed the numerical check against
    JAX's own derivative, or is empty and says why; a program with side
    effects (a ``jax.debug.print``) is drawn unchecked, and says why.
    """
    traced = JaxFrontend().trace(target, options, cell)
    traced.build_all()
    assert not traced.errors, traced.errors
    gradient = traced.bundle.views["gradient"]
    if gradient.nodes and traced.effects:
        assert gradient.notes[-1] == (
            f"not checked numerically: {traced.effects}, and a check would run it"
        ), gradient.notes
    elif gradient.nodes:
        assert gradient.notes[-1].startswith("checked against jax."), gradient.notes
    else:
        assert not any(n.startswith("checked against") for n in gradient.notes)
    assert not any(REFUSED in n for n in gradient.notes) or not gradient.nodes
    return traced.bundle


def line_of(cell: CellInfo, text: str) -> int:
    return next(i for i, line in enumerate(cell.code.splitlines(), 1) if text in line)
