"""A PyTensor training step in layers: tgraph's grouped views beside PyTensor's own tools.

Run from the repository root: ``python bench/pytensor_structure.py [--layers 8 24] [--runs 3]``.

The program is laid out as a notebook is: a one-line layer function and the
parameters in one cell, the model (the layers as a Python loop, a mean
squared error, ``pytensor.grad`` and SGD updates in one ``function``) in
the next. In one process:

- the model cell run plain, and run as ``%%tgraph`` runs it (observed:
  compiles recorded, calls of the user's functions and ``pytensor.grad``
  watched), and a cell looping a million times over a plain function of
  the user's, plain and observed;
- tgraph: each view built (the graph as written grouped into forward,
  backward and update and the user's calls; the optimized and gradient
  views placed in the same groups), with the boxes visible at its top level;
- PyTensor: ``pytensor.dprint`` of the compiled step (the text users read
  today) and the compile itself (``pytensor.function``), as the ratios'
  base.
"""

from __future__ import annotations

import argparse
import functools
import io
import linecache
import platform
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "kernel_ext"))

import pytensor
from benchutil import cpu_model

from tgraph.frontends.pytensor import PyTensorFrontend
from tgraph.layout import layout
from tgraph.protocol import CellInfo, Options

HELPERS = """
import numpy as np
import pytensor
import pytensor.tensor as pt

def dense(h, W, b):
    return pt.tanh(h @ W + b)

rng = np.random.default_rng(0)
params = []
for i in range(LAYERS):
    W = pytensor.shared(rng.normal(size=(16, 16)) / 4, name=f"W{i}")
    params.append((W, pytensor.shared(np.zeros(16), name=f"b{i}")))
"""

MODEL = """
x, y = pt.dmatrix("x"), pt.dmatrix("y")
h = x
for W, b in params:
    h = dense(h, W, b)
loss = ((h - y) ** 2).mean()
flat = [p for pair in params for p in pair]
steps = [(p, p - 0.1 * g) for p, g in zip(flat, pytensor.grad(loss, flat))]
train = pytensor.function([x, y], loss, updates=steps)
"""

LOOP = "def f(a):\n    return a + 1\n\nt = 0\nfor i in range(1_000_000):\n    t = f(t)\n"

FRONTEND = PyTensorFrontend()


def run(code: str, namespace: dict[str, Any], name: str, observed: bool) -> float:
    linecache.cache[name] = (len(code), None, code.splitlines(True), name)
    compiled = compile(code, name, "exec")
    start = time.perf_counter()
    if observed:
        with FRONTEND.observe():
            exec(compiled, namespace)
    else:
        exec(compiled, namespace)
    return time.perf_counter() - start


def one(layers: int, turn: int) -> dict[str, Any]:
    """One run; ``turn`` alternates which of plain and observed goes first (caches warm)."""
    helpers = HELPERS.replace("LAYERS", str(layers))
    row: dict[str, Any] = {}
    watched: dict[str, Any] = {}
    for observed in (True, False) if turn % 2 else (False, True):
        namespace: dict[str, Any] = {}
        run(helpers, namespace, f"<helpers-{layers}-{observed}>", observed)
        row["cell_observed" if observed else "cell_plain"] = run(
            MODEL, namespace, f"<model-{layers}-{observed}>", observed
        )
        if observed:
            watched = namespace
    cell = CellInfo(MODEL, f"<model-{layers}-True>")
    (target,) = FRONTEND.targets({"train": watched["train"]}, cell)
    traced = FRONTEND.trace(target, Options(), cell)
    traced.build_all()
    assert traced.errors == {}, traced.errors
    row["views"] = dict(traced.seconds)
    row["visible"] = {v: layout(g).visible for v, g in traced.bundle.views.items()}
    start = time.perf_counter()
    pytensor.dprint(watched["train"], file=io.StringIO())
    row["dprint"] = time.perf_counter() - start
    row["compile"] = row["cell_plain"]  # the plain cell is its compile, nearly all of it
    return row


def _median(rows: list[dict[str, Any]], key: str, sub: str | None = None) -> float:
    return statistics.median(r[key][sub] if sub else r[key] for r in rows)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--layers", type=int, nargs="+", default=[8, 24])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    print(f"Machine: {cpu_model()}, Python {platform.python_version()}, ")
    print(f"pytensor {pytensor.__version__}; medians of {args.runs} runs\n")
    loop = {o: statistics.median(run(LOOP, {}, f"<loop-{o}>", o) for _ in range(args.runs))
            for o in (False, True)}  # fmt: skip
    print(f"A million calls of a plain function of the user's: plain {loop[False]:.3f} s, "
          f"observed {loop[True]:.3f} s ({loop[True] / loop[False]:.2f}x)\n")  # fmt: skip
    print("| layers | model cell plain | observed | views: as written / optimized / "
          "gradient | each vs compile | visible at the top | dprint |")  # fmt: skip
    print("|---|---|---|---|---|---|---|")
    for layers in args.layers:
        rows = [one(layers, turn) for turn in range(args.runs)]
        med = functools.partial(_median, rows)
        views = [med("views", v) for v in ("original", "optimized", "gradient")]
        base = med("compile")
        print(
            f"| {layers} | {base:.2f} s | {med('cell_observed'):.2f} s | "
            + " / ".join(f"{v:.2f} s" for v in views)
            + " | "
            + " / ".join(f"{v / base:.2f}x" for v in views)
            + " | "
            + " / ".join(str(rows[0]["visible"][v]) for v in ("original", "optimized", "gradient"))
            + f" | {med('dprint'):.3f} s |"
        )


if __name__ == "__main__":
    main()
