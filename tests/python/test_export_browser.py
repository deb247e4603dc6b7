"""The tutorial notebook's HTML export, opened in a real browser with no network.

nbconvert's page asks a CDN for a widget manager once widget state is saved;
offline that never loads, so only the static pictures can show the graphs.
The notebook runs as ``TGRAPH_SYNC=1 jupyter nbconvert --execute`` runs it,
and ``tests/ui/offline-page.cjs`` opens the export in Debian's Chromium with
every request refused, measuring each picture as painted.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import nbformat
import pytest
from nbclient import NotebookClient
from nbconvert import HTMLExporter

pytest.importorskip("pytensor")

ROOT = Path(__file__).resolve().parents[2]
UI = ROOT / "tests" / "ui"
SCRIPT = UI / "offline-page.cjs"
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
SVG = "image/svg+xml"
VIEW = "application/vnd.jupyter.widget-view+json"
STATE = "application/vnd.jupyter.widget-state+json"

needs_browser = pytest.mark.skipif(
    not (shutil.which("node") and Path(CHROMIUM).exists())
    or not (UI / "node_modules" / "@playwright" / "test").is_dir(),
    reason="needs node, Chromium and tests/ui's packages (make test-ui installs them)",
)


@pytest.fixture(scope="module")
def executed() -> nbformat.NotebookNode:
    nb = nbformat.read(ROOT / "examples" / "pytensor_basics.ipynb", as_version=4)
    os.environ["TGRAPH_SYNC"] = "1"  # the kernel inherits it: every view in the cell
    try:
        NotebookClient(
            nb,
            timeout=600,
            kernel_name="python3",
            store_widget_state=True,
            resources={"metadata": {"path": str(ROOT / "examples")}},
        ).execute()
    finally:
        del os.environ["TGRAPH_SYNC"]
    assert nb.metadata.widgets[STATE]["state"]
    return nb


def open_offline(nb: nbformat.NotebookNode, tmp_path: Path) -> dict[str, Any]:
    page, _ = HTMLExporter().from_notebook_node(nb)
    html = tmp_path / "page.html"
    html.write_text(page)
    done = subprocess.run(
        ["node", str(SCRIPT), str(html)],
        cwd=UI,
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    report: dict[str, Any] = json.loads(done.stdout)
    return report


def code_cells(nb: nbformat.NotebookNode) -> list[Any]:
    return [c for c in nb.cells if c.cell_type == "code"]


@needs_browser
@pytest.mark.parametrize("state", [True, False], ids=["with-widget-state", "without"])
def test_every_picture_shows_offline(
    executed: nbformat.NotebookNode, state: bool, tmp_path: Path
) -> None:
    nb = executed
    if not state:
        nb = nbformat.from_dict(json.loads(json.dumps(executed)))
        nb.metadata.pop("widgets")
    report = open_offline(nb, tmp_path)

    cells = code_cells(nb)
    assert len(report["cells"]) == len(cells)
    widget_cells = 0
    for cell, shown in zip(cells, report["cells"], strict=True):
        saved = [o.data[SVG] for o in cell.outputs if SVG in o.get("data", {})]
        if any(VIEW in o.get("data", {}) for o in cell.outputs):
            widget_cells += 1
            assert len(saved) == 3, cell.source  # original, optimized, gradient
        assert [p["svg"] for p in shown] == saved, cell.source
        for picture in shown:
            assert picture["loaded"] and picture["visible"], cell.source
            assert picture["width"] >= 100 and picture["height"] >= 100, cell.source
            assert picture["ink"] >= 0.02, cell.source  # boxes and labels, not a blank
    assert widget_cells == 8

    logistic = next(i for i, c in enumerate(cells) if "logistic = function" in c.source)
    labels = [re.findall(r"<text[^>]*>([^<]*)</text>", p["svg"]) for p in report["cells"][logistic]]
    assert [texts[0] for texts in labels] == [
        "Original · logistic",
        "Optimized · logistic",
        "Gradient · logistic",
    ]
    assert "sigmoid" in labels[1] and "exp" in labels[0]

    # The page did ask for the network (the widget manager, with saved state)
    # and got nothing: what showed came from the file alone.
    manager = [u for u in report["blocked"] if "html-manager" in u]
    assert len(manager) == (1 if state else 0)
    assert report["errors"] == []


@needs_browser
def test_a_blank_picture_is_caught(tmp_path: Path) -> None:
    """The measure above tells a drawn graph from an empty one."""
    empty = '<svg xmlns="http://www.w3.org/2000/svg" width="300" height="200"></svg>'
    nb = nbformat.v4.new_notebook(
        cells=[
            nbformat.v4.new_code_cell(
                "",
                outputs=[nbformat.v4.new_output("display_data", data={SVG: empty})],
            )
        ]
    )
    (shown,) = open_offline(nb, tmp_path)["cells"][0]
    assert shown["loaded"] and shown["visible"]
    assert shown["ink"] == 0
