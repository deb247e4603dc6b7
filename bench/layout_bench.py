"""Layout time of synthetic graphs with 100 / 1,000 / 10,000 nodes.

Run from the repository root: ``python bench/layout_bench.py``.
"layered" graphs are chains of ops whose inputs come from a few ops back, like
a deep network; "random" graphs take inputs from anywhere earlier (worst case
for the edges between collapsed groups); "nested" graphs are Scans inside Scans,
eight deep, each with an input feeding every op. Each row: the first,
collapsed picture, then with the first group or outermost Scan expanded;
medians of ``RUNS`` warm runs. Times include grouping, DOT emission, Graphviz
and SVG clean-up. Prints the wasm engine's start-up in a fresh process, with
an empty and with a filled compilation cache, then a markdown table.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "kernel_ext"))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "python"))

from test_layout import deep  # the nested-Scan graph the tests check
from tgraph import layout as lay
from tgraph import render
from tgraph.graph import Edge, Graph, Node

RUNS = 3
KERNEL_EXT = str(Path(__file__).resolve().parents[1] / "kernel_ext")
START = """
import json, sys, time
start = time.perf_counter()
sys.path.insert(0, sys.argv[1])
from tgraph import layout as lay
from tgraph import render
from tgraph.graph import Graph, Node
imported = time.perf_counter()
render.warm_up()
warm = time.perf_counter()
lay.layout(Graph(nodes=[Node("a", "op", "A", op="A")]), engine="wasm")
done = time.perf_counter()
print(json.dumps([imported - start, warm - imported, done - warm]))
"""


def build(n: int, local: bool, seed: int = 0) -> Graph:
    rng = random.Random(seed)
    nodes = [Node(f"x{i}", "input", f"x{i}", dtype="float64", shape="(3,)") for i in range(4)]
    nodes += [Node(f"op{i}", "op", f"Add{i}", op="Add") for i in range(n - 4)]
    edges = []
    for i in range(4, n):
        for _ in range(2):
            j = max(0, i - 1 - int(rng.expovariate(0.3))) if local else rng.randrange(i)
            edges.append(Edge(nodes[j].id, nodes[i].id, "float64[3]"))
    return Graph(nodes, edges)


def start_up() -> None:
    """Import, warm_up and first layout in fresh processes sharing one cache folder."""
    with tempfile.TemporaryDirectory() as cache:
        env = {**os.environ, "XDG_CACHE_HOME": cache, "PATH": ""}
        for case in ("empty cache (first kernel on this machine)", "filled cache (later kernels)"):
            done = subprocess.run(
                [sys.executable, "-c", START, KERNEL_EXT],
                env=env,
                capture_output=True,
                text=True,
                check=True,
            )
            imported, warm, first = json.loads(done.stdout)
            print(
                f"wasm start-up, {case}: import {imported:.3f} s, warm_up {warm:.3f} s, "
                f"first layout {first:.3f} s"
            )


def timed(graph: Graph, expanded: frozenset[str], engine: str) -> tuple[float, int]:
    """Median seconds of ``RUNS`` layouts, and the visible node count."""
    times, visible = [], 0
    for _ in range(RUNS):
        start = time.perf_counter()
        out = lay.layout(graph, expanded, engine)
        times.append(time.perf_counter() - start)
        visible = out.visible
    return statistics.median(times), visible


def main() -> None:
    engines = ["wasm"] + (["dot"] if shutil.which("dot") else [])
    start_up()
    render.warm_up()
    print()
    print("| engine | graph | nodes | collapsed: visible | collapsed (s) |", end="")
    print(" one group expanded: visible | expanded (s) |")
    print("|---|---|---|---|---|---|---|")
    for engine in engines:
        for kind in ("layered", "random", "nested"):
            for n in (100, 1000, 10000):
                graph = deep(8, n // 8) if kind == "nested" else build(n, kind == "layered")
                first = lay.layout(graph, engine=engine)
                collapsed_s, visible = timed(graph, frozenset(), engine)
                row = f"| {engine} | {kind} | {n:,} | {visible} | {collapsed_s:.3f} |"
                if first.collapsed:
                    open_s, open_n = timed(graph, frozenset(first.collapsed[:1]), engine)
                    row += f" {open_n} | {open_s:.3f} |"
                else:
                    row += " (not grouped) | — |"
                print(row, flush=True)


if __name__ == "__main__":
    main()
