"""`pip install .` ships the prebuilt JupyterLab extension and the widget's code."""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[2]


@pytest.mark.skipif(shutil.which("npm") is None, reason="building the front end needs Node.js")
def test_wheel_from_a_clean_tree_carries_the_front_end(tmp_path: Path) -> None:
    # Build from the tracked files only, as pip would from a fresh clone: a
    # development build lying in the working tree must not be what ships.
    tracked = subprocess.run(
        ["git", "ls-files", "-z"], cwd=ROOT, check=True, capture_output=True
    ).stdout.split(b"\0")
    source = tmp_path / "src"
    for name in filter(None, tracked):
        path = source / name.decode()
        path.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / name.decode(), path)
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp_path), str(source)],
        check=True,
    )
    [wheel] = tmp_path.glob("jupyter_tgraph-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    shared = "jupyter_tgraph-0.1.0.data/data/share/jupyter/labextensions/jupyter-tgraph/"
    assert "tgraph/static/widget.js" in names
    assert f"{shared}package.json" in names
    assert f"{shared}install.json" in names
    assert any(n.startswith(f"{shared}static/remoteEntry.") for n in names)
    assert not any(n.endswith(".map") for n in names), "a development build was shipped"
    assert "tgraph/magic.py" in names and "tgraph/frontends/jax/frontend.py" in names
