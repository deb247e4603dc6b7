"""A real IPython shell with tgraph loaded, and helpers to run cells in it."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from IPython.core.interactiveshell import InteractiveShell
from IPython.utils.capture import capture_output


@dataclass
class Ran:
    """What a user would see after a cell: streams, displays, the result."""

    stdout: str
    stderr: str
    outputs: list[dict[str, Any]]
    result: Any
    error: BaseException | None = None
    widgets: list[Any] = field(default_factory=list)


def run(shell: InteractiveShell, code: str) -> Ran:
    with capture_output() as captured:
        result = shell.run_cell(code, store_history=True)
    outputs = [o.data for o in captured.outputs]
    return Ran(
        stdout=captured.stdout,
        stderr=captured.stderr,
        outputs=outputs,
        result=result.result,
        error=result.error_before_exec or result.error_in_exec,
    )


@pytest.fixture(scope="session")
def ipython() -> InteractiveShell:
    shell = InteractiveShell.instance()
    shell.run_line_magic("colors", "nocolor")
    shell.run_line_magic("load_ext", "tgraph")
    return shell


@pytest.fixture
def shell(ipython: InteractiveShell) -> Iterator[InteractiveShell]:
    """The shared shell with an empty namespace and registry for each test."""
    ipython.reset(new_session=False)
    magics = ipython.magics_manager.registry["TgraphMagics"]
    magics.registry.entries.clear()
    yield ipython


PLUGINS = Path(__file__).parent / "plugins"


@pytest.fixture
def toyexpr_installed(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The test-only toyexpr package and its tgraph entry point, as pip would install them."""
    from tgraph import discovery

    monkeypatch.syspath_prepend(str(PLUGINS))
    discovery.refresh()
    yield
    monkeypatch.undo()
    for name in [m for m in sys.modules if m == "toyexpr" or m.startswith("toyexpr.")]:
        del sys.modules[name]
    discovery.refresh()
