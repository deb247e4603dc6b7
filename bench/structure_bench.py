"""A decoder-only transformer's training step: tgraph's views beside jaxviz and XLA's text.

Run from the repository root: ``python bench/structure_bench.py [--layers 24 96]``
(jaxviz is optional: ``pip install jaxviz`` into the same environment; it is
not a dependency of tgraph).

The step is ``examples/transformer_step.py`` (the same program the tests
draw), written as most model code is: 24 layers as a Python loop,
``jax.value_and_grad`` and an SGD update under ``jax.jit``, its cells run
as one "cell" first (so JAX has traced and compiled it). Then, in the same
process:

- tgraph: tracing the target, building each view (the graph as written with
  its groups, the compiled view placed in them), laying out each view's top
  level, and opening one group (the forward pass) in the graph as written;
- jaxviz 0.1.4: ``trace_model(step, ..., return_html=True)``, its global view;
  and once, its per-device view (``view="per_device"``) in a child process
  stopped after 120 s (``--no-per-device`` leaves it out);
- XLA: ``jax.jit(step).lower(...).compile().as_text()`` of a fresh copy of
  the step after ``jax.clear_caches()``, what a user would print instead.

Times are medians of ``--runs`` runs (default 3). Ratios are against the
compile-to-text time.
"""

from __future__ import annotations

import argparse
import linecache
import os
import platform
import re
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "kernel_ext"))

import jax

from tgraph.frontends.jax import JaxFrontend
from tgraph.layout import layout
from tgraph.protocol import CellInfo, Options

#: The program: examples/transformer_step.py, its cells run as one.
EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "transformer_step.py"


def program(layers: int) -> str:
    """The example's cells as one cell's code, with ``layers`` layers."""
    cells = re.split(r"^# %%.*\n", EXAMPLE.read_text("utf-8"), flags=re.M)[1:]
    return cells[0] + f"LAYERS = {layers}\n" + "".join(cells[1:])


def cell(layers: int, tag: str) -> tuple[dict[str, Any], CellInfo]:
    """Run the program as a notebook cell (its own file name, in linecache)."""
    src = program(layers)
    filename = f"<bench-cell-{tag}>"
    linecache.cache[filename] = (len(src), None, src.splitlines(True), filename)
    namespace: dict[str, Any] = {}
    with JaxFrontend().observe():
        exec(compile(src, filename, "exec"), namespace)
    return namespace, CellInfo(code=src, filename=filename)


def timed(fn: Callable[[], Any], runs: int) -> tuple[float, Any]:
    times, out = [], None
    for _ in range(runs):
        start = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), out


def tgraph_views(layers: int, runs: int) -> dict[str, Any]:
    ns, info = cell(layers, f"tgraph-{layers}")
    (target,) = [t for t in JaxFrontend().targets({"step": ns["step"]}, info)]
    found: dict[str, Any] = {}

    def everything() -> Any:
        start = time.perf_counter()
        traced = JaxFrontend().trace(target, Options(run=False), info)
        found["trace"] = time.perf_counter() - start
        for view in traced.pending():
            traced.build(view)
        assert not traced.errors, traced.errors
        for view, graph in traced.bundle.views.items():
            start = time.perf_counter()
            picture = layout(graph)
            found[f"layout {view}"] = time.perf_counter() - start
            found[f"visible {view}"] = picture.visible
        found.update({f"build {v}": s for v, s in traced.seconds.items()})
        return traced

    total, traced = timed(everything, runs)
    original = traced.bundle.views["original"]
    forward = next(s.id for s in original.subgraphs if s.label == "forward")
    opened, picture = timed(lambda: layout(original, frozenset({forward})), runs)
    hlo = traced.bundle.info.get("hlo", "")
    return {
        **found,
        "total": total,
        "open forward": opened,
        "visible opened": picture.visible,
        "equations": len(original.ops()),
        "instructions": sum(1 for line in hlo.splitlines() if " = " in line),
        "fusions": sum(1 for s in traced.bundle.views["optimized"].subgraphs if s.kind == "fusion"),
    }


def magic_overhead(layers: int, runs: int) -> float:
    """A real IPython shell: the cell under ``%%tgraph --sync --no-run`` minus plain.

    ``--sync`` builds (and lays out) every view in the cell, as batch runs do;
    the difference is tgraph's own time, the figure the issue measured.
    """
    from IPython.core.interactiveshell import InteractiveShell
    from IPython.utils.capture import capture_output

    shell = InteractiveShell.instance()
    shell.run_line_magic("load_ext", "tgraph")
    code = program(layers)

    def one(prefix: str) -> float:
        with capture_output():
            start = time.perf_counter()
            shell.run_cell(prefix + code, store_history=False)
            return time.perf_counter() - start

    one("")  # JAX's first compile of this program
    plain = statistics.median(one("") for _ in range(runs))
    traced = statistics.median(one("%%tgraph --sync --no-run\n") for _ in range(runs))
    return traced - plain


def xla_text(layers: int, runs: int) -> float:
    def fresh() -> str:
        ns, _ = cell(layers, f"xla-{layers}-{time.perf_counter_ns()}")
        fn = jax.jit(ns["step"].__wrapped__)
        return fn.lower(ns["params"], ns["tok"], ns["tgt"]).compile().as_text() or ""

    def only_compile() -> float:
        ns, _ = cell(layers, f"xla-{layers}-{time.perf_counter_ns()}")
        fn = jax.jit(ns["step"].__wrapped__)
        jax.clear_caches()  # the same program text would be found compiled
        start = time.perf_counter()
        fn.lower(ns["params"], ns["tok"], ns["tgt"]).compile().as_text()
        return time.perf_counter() - start

    fresh()  # JAX's first compile of anything pays once
    return statistics.median(only_compile() for _ in range(runs))


def jaxviz_global(layers: int, runs: int) -> tuple[float, int] | None:
    try:
        import jaxviz
    except ImportError:
        return None
    ns, _ = cell(layers, f"jaxviz-{layers}")
    seconds, html = timed(
        lambda: jaxviz.trace_model(
            ns["step"].__wrapped__, ns["params"], ns["tok"], ns["tgt"], return_html=True
        ),
        runs,
    )
    return seconds, len(html or "")


#: How long jaxviz's per-device view may take before it is stopped.
PER_DEVICE_LIMIT = 120


def jaxviz_per_device(layers: int) -> tuple[float, int] | str | None:
    """jaxviz's per-device view, once, in a child process stopped after the limit.

    The view compiles the step and draws every HLO instruction; in earlier
    runs it took minutes, so it runs apart and a run past the limit is the
    result ("did not finish in 120 s"). The limit counts from the moment the
    child has run the cell, so only jaxviz's own time is held to it.
    """
    try:
        import jaxviz  # noqa: F401
    except ImportError:
        return None
    child = subprocess.Popen(
        [sys.executable, __file__, "--per-device-child", str(layers)],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert child.stdout is not None
    child.stdout.readline()  # "ready": the cell has run
    try:
        out, _ = child.communicate(timeout=PER_DEVICE_LIMIT)
    except subprocess.TimeoutExpired:
        child.kill()
        child.communicate()
        return f"did not finish in {PER_DEVICE_LIMIT} s"
    seconds, size = out.split()
    return float(seconds), int(size)


def per_device_child(layers: int) -> None:
    """The child's side: run the cell, say "ready", time the view, print seconds and size."""
    import jaxviz

    ns, _ = cell(layers, f"jaxviz-device-{layers}")
    print("ready", flush=True)
    start = time.perf_counter()
    html = jaxviz.trace_model(
        ns["step"].__wrapped__,
        ns["params"],
        ns["tok"],
        ns["tgt"],
        view="per_device",
        return_html=True,
    )
    print(time.perf_counter() - start, len(html or ""), flush=True)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--layers", type=int, nargs="*", default=[24])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument(
        "--no-per-device", action="store_true", help="leave out jaxviz's per-device view"
    )
    parser.add_argument("--per-device-child", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.per_device_child:
        return per_device_child(args.per_device_child)
    print(
        f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, ", end=""
    )
    print(
        f"load {os.getloadavg()[0]:.1f}; jax {jax.__version__}, python {platform.python_version()}"
    )
    for layers in args.layers:
        ours = tgraph_views(layers, args.runs)
        magic = magic_overhead(layers, args.runs)
        xla = xla_text(layers, args.runs)
        viz = jaxviz_global(layers, args.runs)
        device = None if args.no_per_device else jaxviz_per_device(layers)
        print(f"\n### {layers} layers: {ours['equations']:,} equations drawn, ", end="")
        print(f"{ours['instructions']:,} HLO instructions, {ours['fusions']:,} fusions\n")
        print("| what | seconds | vs compile + as_text | visible boxes |")
        print("|---|---|---|---|")
        rows = [
            ("`%%tgraph --sync --no-run` cell minus plain cell", magic, ""),
            ("tgraph: every view, traced, built and laid out", ours["total"], ""),
            ("  trace", ours["trace"], ""),
            ("  build graph as written (with groups)", ours["build original"], ""),
            ("  build compiled view (placed in groups)", ours["build optimized"], ""),
            ("  lay out graph as written, top level", ours["layout original"], "original"),
            ("  lay out compiled view, top level", ours["layout optimized"], "optimized"),
            ("tgraph: open the forward pass", ours["open forward"], "opened"),
            ("`lower().compile().as_text()` (fresh)", xla, ""),
        ]
        if viz is not None:
            rows.append((f"jaxviz global view ({viz[1] / 1e6:.1f} MB of HTML)", viz[0], ""))
        for name, seconds, visible in rows:
            shown = ours.get(f"visible {visible}", "") if visible else ""
            print(f"| {name} | {seconds:.2f} | {seconds / xla:.2f}x | {shown} |")
        if isinstance(device, str):
            print(
                f"| jaxviz per-device view, once | {device} | > {PER_DEVICE_LIMIT / xla:.0f}x | |"
            )
        elif device is not None:
            name = f"jaxviz per-device view, once ({device[1] / 1e6:.1f} MB of HTML)"
            print(f"| {name} | {device[0]:.2f} | {device[0] / xla:.2f}x | |")


if __name__ == "__main__":
    main()
