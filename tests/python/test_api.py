"""``tgraph.show`` and ``tgraph.export``: one graph from a cell or a plain script."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from IPython.core.interactiveshell import InteractiveShell

from conftest import run
from test_magic import WIDGET_MIME, entries

KERNEL_EXT = str(Path(__file__).parents[2] / "kernel_ext")

SCRIPT = """
import json, sys
import jax, jax.numpy as jnp
import tgraph

def loss(w, x):
    return jnp.sum(jnp.tanh(x @ w))

out = sys.argv[1]
for suffix in ("svg", "png", "dot", "json"):
    tgraph.export(loss, jnp.ones((3, 2)), jnp.ones((4, 3)), path=f"{out}/loss.{suffix}")
tgraph.export(loss, jnp.ones((3, 2)), jnp.ones((4, 3)), path=f"{out}/grad.svg", view="gradient",
              options="--wrt 0")
tgraph.show(loss, jnp.ones((3, 2)), jnp.ones((4, 3)), options="--no-run")
print(json.dumps(sorted(p.name for p in __import__("pathlib").Path(out).iterdir())))
"""


def test_export_writes_every_format_from_a_plain_script(tmp_path: Path) -> None:
    env = dict(
        os.environ, PYTHONPATH=os.pathsep.join([KERNEL_EXT, os.environ.get("PYTHONPATH", "")])
    )
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(tmp_path)],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    written = ["grad.svg", "loss.dot", "loss.json", "loss.png", "loss.svg"]
    assert json.loads(done.stdout.strip().splitlines()[-1]) == written
    svg = (tmp_path / "loss.svg").read_text()
    assert svg.startswith("<svg") and ">tanh<" in svg
    assert (tmp_path / "loss.png").read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
    dot = (tmp_path / "loss.dot").read_text()
    assert dot.startswith("digraph") and "tanh" in dot
    bundle = json.loads((tmp_path / "loss.json").read_text())
    assert bundle["target"] == "loss"
    assert bundle["info"]["call"] == "loss(f32[3,2], f32[4,3])"
    assert set(bundle["views"]) == {"original", "optimized", "gradient"}
    assert "gradient with respect to argument 0" in (tmp_path / "grad.svg").read_text() or any(
        "argument 0" in n for n in bundle["views"]["gradient"]["notes"]
    )
    assert "Exception ignored" not in done.stderr


def test_show_displays_the_widget_in_a_cell(shell: InteractiveShell) -> None:
    run(shell, "import jax, jax.numpy as jnp, tgraph")
    run(shell, "def energy(x):\n    return jnp.sum(x ** 2)")
    ran = run(shell, "tgraph.show(energy, jnp.ones(4), options='--no-run')")
    assert ran.error is None and ran.stderr == ""
    assert sum(WIDGET_MIME in d for d in ran.outputs) == 1
    [entry] = entries(shell)  # listed in the kernel's registry, as a cell's graph is
    assert entry.bundle.target == "energy"
    assert entry.bundle.info["call"] == "energy(f32[4])"


def test_show_takes_pytensor_variables_functions_and_models(shell: InteractiveShell) -> None:
    pytest.importorskip("pymc")
    run(shell, "import numpy as np, pytensor, pytensor.tensor as pt, pymc as pm, tgraph")
    run(shell, "x = pt.dvector('x')\ny = pt.log(1 + pt.exp(x))\nf = pytensor.function([x], y)")
    run(
        shell,
        "with pm.Model() as m:\n    pm.Normal('obs', pm.Normal('mu'), 1, observed=np.zeros(3))",
    )
    for call in ("tgraph.show(y, options='--no-run')", "tgraph.show(f, options='--no-run')",
                 "tgraph.show(m, options='--no-run')"):  # fmt: skip
        ran = run(shell, call)
        assert ran.error is None and ran.stderr == "", call
        assert sum(WIDGET_MIME in d for d in ran.outputs) == 1, call
    assert [e.bundle.target for e in entries(shell)] == ["y", "f", "m"]


def test_a_wrong_call_says_why(shell: InteractiveShell, tmp_path: Path) -> None:
    run(shell, "import jax, tgraph")
    ran = run(shell, f"tgraph.export(len, [1], path={str(tmp_path / 'g.pdf')!r})")
    assert isinstance(ran.error, ValueError)
    assert str(ran.error) == "tgraph.export writes .svg, .png, .dot, .json, not .pdf"
    assert entries(shell) == []
