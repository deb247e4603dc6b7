"""How long the user waits for a cell: plain, with ``%%tgraph``, and with ``--sync``.

Each mode runs in a fresh kernel, as a notebook would: every cell is sent and
timed from the execute request to its reply (the moment JupyterLab marks the
cell done). Notebooks are the examples; generated PyTensor graphs of 100,
1,000 and 10,000 nodes are timed after a warm-up traced cell, so the
kernel's one-time first-cell cost is reported apart.

    python bench/cell_latency.py            # everything, prints markdown tables
    python bench/cell_latency.py --quick    # the examples only
"""

from __future__ import annotations

import argparse
import re
import statistics
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import nbformat
from benchutil import cpu_model
from jupyter_client.blocking.client import BlockingKernelClient
from jupyter_client.manager import KernelManager

ROOT = Path(__file__).parents[1]
NOTEBOOKS = ["pytensor_basics", "jax_basics", "autoencoder"]
MAGIC = re.compile(r"^%%tgraph[^\n]*\n")


@contextmanager
def kernel(sync: bool = False) -> Iterator[BlockingKernelClient]:
    manager = KernelManager(kernel_name="python3")
    manager.start_kernel(env={"TGRAPH_SYNC": "1" if sync else ""}, cwd=str(ROOT / "examples"))
    client = manager.client()
    client.start_channels()
    client.wait_for_ready(timeout=120)
    try:
        yield client
    finally:
        client.stop_channels()
        manager.shutdown_kernel(now=True)


def timed(client: BlockingKernelClient, code: str) -> float:
    """Seconds from the execute request to its reply."""
    start = time.perf_counter()
    msg_id = client.execute(code)
    while True:
        reply = client.get_shell_msg(timeout=600)
        if reply["parent_header"].get("msg_id") == msg_id:
            return time.perf_counter() - start


def cells(name: str) -> list[str]:
    notebook = nbformat.read(ROOT / "examples" / f"{name}.ipynb", as_version=4)
    return [c.source for c in notebook.cells if c.cell_type == "code"]


def plain(cell: str) -> str:
    """The cell without the magic line, and without loading the extension."""
    lines = [line for line in cell.splitlines() if line.strip() != "%load_ext tgraph"]
    return MAGIC.sub("", "\n".join(lines))


def notebook_times(name: str) -> dict[str, list[float]]:
    sources = cells(name)
    out: dict[str, list[float]] = {}
    with kernel() as client:  # warm-up: Numba's and JAX's on-disk caches fill here
        for cell in sources:
            timed(client, cell)
    for mode in ("plain", "tgraph", "sync"):
        with kernel(sync=mode == "sync") as client:
            out[mode] = [timed(client, plain(c) if mode == "plain" else c) for c in sources]
    return out


def graph_cell(nodes: int) -> str:
    """A PyTensor graph of about ``nodes`` apply nodes (four per step), symbolic only."""
    steps = max(nodes // 4, 1)
    return (
        "x = pt.dvector('x')\ny = x\n"
        f"for _ in range({steps}):\n    y = pt.sin(y) * 1.0001 + pt.cos(y)\n"
    )


def fresh(client: BlockingKernelClient, code: str) -> float:
    """``timed``, after collecting the garbage the last big graph left (untimed):
    otherwise the collector's pauses land in whichever cell comes next."""
    timed(client, "import gc; gc.collect()")
    return timed(client, code)


def graph_times(sizes: list[int], runs: int) -> dict[int, dict[str, float]]:
    out: dict[int, dict[str, float]] = {}
    with kernel() as client:
        timed(client, "import sys; sys.setrecursionlimit(100_000)\nimport pytensor.tensor as pt")
        timed(client, "%load_ext tgraph")
        first = timed(client, "%%tgraph\nv = pt.dvector('v')\nw = (v * 2).sum()")
        again = timed(client, "%%tgraph\nv = pt.dvector('v')\nw = (v * 2).sum()")
        out[0] = {"first traced cell": first, "second": again}
        for size in sizes:
            code = graph_cell(size)
            # plain and traced back to back, so a slow moment of a shared machine
            # lands on both of a pair; the overhead is the median of the pairs'
            pairs = [(fresh(client, code), fresh(client, "%%tgraph\n" + code)) for _ in range(runs)]
            row = {
                "plain": statistics.median(p for p, _ in pairs),
                "tgraph": statistics.median(t for _, t in pairs),
                "over": statistics.median(t - p for p, t in pairs),
            }
            if size <= 1000:
                row["sync"] = timed(client, "%%tgraph --sync --budget 0.5\n" + code)
            out[size] = row
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="the example notebooks only")
    parser.add_argument("--graphs", action="store_true", help="the generated graphs only")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    print(f"CPU: {cpu_model()}\n")
    if not args.graphs:
        print("| notebook | cells | plain | %%tgraph | --sync | ratio | worst cell over plain |")
        print("|---|---|---|---|---|---|---|")
    for name in [] if args.graphs else NOTEBOOKS:
        t = notebook_times(name)
        worst = max(b - a for a, b in zip(t["plain"], t["tgraph"], strict=True))
        total = {k: sum(v) for k, v in t.items()}
        print(
            f"| {name} | {len(t['plain'])} | {total['plain']:.2f} s | {total['tgraph']:.2f} s "
            f"| {total['sync']:.2f} s | {total['tgraph'] / total['plain']:.2f}x | {worst:+.2f} s |"
        )
    if args.quick:
        return
    rows = graph_times([100, 1000, 10_000], args.runs)
    once = rows.pop(0)
    print(
        f"\nFirst traced cell of a kernel: {once['first traced cell']:.2f} s "
        f"(the same cell again: {once['second']:.2f} s)\n"
    )
    print("| nodes | plain | %%tgraph | over plain (median of pairs) | --sync |")
    print("|---|---|---|---|---|")
    for size, row in rows.items():
        sync = f"{row['sync']:.2f} s" if "sync" in row else "not run"
        print(
            f"| {size:,} | {row['plain']:.3f} s | {row['tgraph']:.3f} s "
            f"| {row['over']:+.3f} s | {sync} |"
        )


if __name__ == "__main__":
    main()
