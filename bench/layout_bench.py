"""Layout time of synthetic graphs with 100 / 1,000 / 10,000 nodes.

Run: PYTHONPATH=kernel_ext python bench/layout_bench.py
"layered" graphs are chains of ops whose inputs come from a few ops back, like
a deep network; "random" graphs take inputs from anywhere earlier (worst case
for the edges between collapsed groups). Each row: the first, collapsed
picture, then with the first group (or group of groups) expanded.
"""

from __future__ import annotations

import random
import shutil
import time

from tgraph import layout as lay
from tgraph.graph import Edge, Graph, Node


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


def timed(graph: Graph, expanded: frozenset[str], engine: str) -> tuple[float, int]:
    start = time.perf_counter()
    out = lay.layout(graph, expanded, engine)
    return time.perf_counter() - start, out.visible


def main() -> None:
    engines = ["wasm"] + (["dot"] if shutil.which("dot") else [])
    lay.warm_up()
    for engine in engines:
        for kind in ("layered", "random"):
            for n in (100, 1000, 10000):
                graph = build(n, kind == "layered")
                first = lay.layout(graph, engine=engine)
                collapsed_s, visible = timed(graph, frozenset(), engine)
                row = (
                    f"{engine:<5} {kind:<8} {n:>6} nodes: {visible:>3} visible {collapsed_s:.3f} s"
                )
                if first.collapsed:
                    open_s, open_n = timed(graph, frozenset(first.collapsed[:1]), engine)
                    row += f"; one group expanded: {open_n:>3} visible {open_s:.3f} s"
                print(row)


if __name__ == "__main__":
    main()
