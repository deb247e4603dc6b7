"""A decoder-only transformer's training step: tgraph's views beside jaxviz and XLA's text.

Run from the repository root: ``python bench/structure_bench.py [--layers 24 96]``
(jaxviz is optional: ``pip install jaxviz`` into the same environment; it is
not a dependency of tgraph).

The step is written as most model code is: 24 layers as a Python loop,
``jax.value_and_grad`` and an SGD update under ``jax.jit``, called once by
the "cell" first (so JAX has traced and compiled it). Then, in the same
process:

- tgraph: tracing the target, building each view (the graph as written with
  its groups, the compiled view placed in them), laying out each view's top
  level, and opening one group (the forward pass) in the graph as written;
- jaxviz 0.1.4: ``trace_model(step, ..., return_html=True)``, its global view
  (the per-device view took minutes in earlier runs and is left out);
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
import statistics
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

PROGRAM = """
import jax, jax.numpy as jnp
D, H, T, V = 16, 32, 8, 32

def rms(x, g):
    return x * jax.lax.rsqrt(jnp.mean(x * x, axis=-1, keepdims=True) + 1e-6) * g

def attn(x, p):
    q, k, v = x @ p["wq"], x @ p["wk"], x @ p["wv"]
    s = jnp.where(jnp.tril(jnp.ones((T, T), bool)), q @ k.T / jnp.sqrt(D), -1e9)
    return jax.nn.softmax(s, -1) @ v @ p["wo"]

def mlp(x, p):
    return jax.nn.gelu(x @ p["w1"]) @ p["w2"]

def block(x, p):
    x = x + attn(rms(x, p["g1"]), p)
    return x + mlp(rms(x, p["g2"]), p)

def loss(params, tok, tgt):
    x = params["emb"][tok]
    for p in params["layers"]:
        x = block(x, p)
    logits = rms(x, params["gf"]) @ params["emb"].T
    return -jnp.mean(jnp.take_along_axis(jax.nn.log_softmax(logits), tgt[:, None], -1))

def train_step(params, tok, tgt):
    l, g = jax.value_and_grad(loss)(params, tok, tgt)
    return l, jax.tree_util.tree_map(lambda a, b: a - 0.01 * b, params, g)

step = jax.jit(train_step)

def layer(k):
    ks = jax.random.split(k, 6)
    shapes = dict(wq=(D, D), wk=(D, D), wv=(D, D), wo=(D, D), w1=(D, H), w2=(H, D))
    p = {n: jax.random.normal(kk, s) * 0.1 for kk, (n, s) in zip(ks, shapes.items())}
    return p | dict(g1=jnp.ones(D), g2=jnp.ones(D))

k = jax.random.PRNGKey(0)
params = dict(emb=jax.random.normal(k, (V, D)), gf=jnp.ones(D),
              layers=[layer(kk) for kk in jax.random.split(k, LAYERS)])
tok = jnp.arange(T) % V
tgt = (tok + 1) % V
l, new = step(params, tok, tgt)
"""


def cell(layers: int, tag: str) -> tuple[dict[str, Any], CellInfo]:
    """Run the program as a notebook cell (its own file name, in linecache)."""
    src = PROGRAM.replace("LAYERS", str(layers))
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
    code = PROGRAM.replace("LAYERS", str(layers))

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
        fn = jax.jit(ns["train_step"])
        return fn.lower(ns["params"], ns["tok"], ns["tgt"]).compile().as_text() or ""

    def only_compile() -> float:
        ns, _ = cell(layers, f"xla-{layers}-{time.perf_counter_ns()}")
        fn = jax.jit(ns["train_step"])
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
            ns["train_step"], ns["params"], ns["tok"], ns["tgt"], return_html=True
        ),
        runs,
    )
    return seconds, len(html or "")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--layers", type=int, nargs="*", default=[24])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
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


if __name__ == "__main__":
    main()
