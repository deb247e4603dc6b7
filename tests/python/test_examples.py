"""The example notebooks, run headless in a real kernel as a newcomer would run them."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import nbformat
import pytest
from nbclient import NotebookClient

EXAMPLES = Path(__file__).parents[2] / "examples"
WIDGET_MIME = "application/vnd.jupyter.widget-view+json"
# A cell of the tutorial that fails on purpose: PyTensor removed In(y, value=1).
EXPECTED_ERROR = "Inputs with default values are deprecated"


def tgraph_outputs(cell: Any) -> tuple[list[dict[str, Any]], str, list[dict[str, Any]]]:
    """Widget outputs, stderr text and errors of one executed cell."""
    widgets = [o for o in cell.outputs if WIDGET_MIME in o.get("data", {})]
    stderr = "".join(o.text for o in cell.outputs if o.get("name") == "stderr")
    errors = [o for o in cell.outputs if o.output_type == "error"]
    return widgets, stderr, errors


@pytest.mark.parametrize(
    ("name", "expected_graphs"),
    [("pytensor_basics", 8), ("jax_basics", 7), ("autoencoder", 2)],
)
def test_example_runs_and_every_graph_carries_its_three_views(
    name: str, expected_graphs: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    # a batch run has no front end to ask for the views built after the cell
    monkeypatch.setenv("TGRAPH_SYNC", "1")
    notebook = nbformat.read(EXAMPLES / f"{name}.ipynb", as_version=4)
    assert all(not c.get("outputs") for c in notebook.cells if c.cell_type == "code")
    client = NotebookClient(
        notebook,
        timeout=600,
        kernel_name="python3",
        allow_errors=True,
        resources={"metadata": {"path": str(EXAMPLES)}},
    )
    client.execute()

    graphs = 0
    for cell in notebook.cells:
        if cell.cell_type != "code":
            continue
        widgets, stderr, errors = tgraph_outputs(cell)
        for error in errors:
            assert EXPECTED_ERROR in error.evalue, cell.source
            assert "tgraph: " in stderr and "default" in stderr, cell.source
        assert "internal error" not in stderr and "could not trace" not in stderr, stderr
        assert "Error in callback" not in stderr, stderr
        # the static copy: one captioned picture per view, nothing left for later
        pictures = [
            o["data"]["image/svg+xml"]
            for o in cell.outputs
            if "data-tg-static=" in o.get("data", {}).get("image/svg+xml", "")
        ]
        texts = "".join(o.get("data", {}).get("text/plain", "") for o in cell.outputs)
        assert "not in this copy" not in texts, cell.source
        captions = [re.search(r'font-weight="bold">([^<]*) · ', p) for p in pictures]
        titles = [c.group(1) for c in captions if c]
        assert len(titles) == len(pictures), cell.source
        for title in ("Original", "Gradient"):
            assert titles.count(title) <= len(widgets), cell.source
        assert titles.count("Original") == len(widgets), cell.source
        graphs += len(widgets)
    assert graphs == expected_graphs
