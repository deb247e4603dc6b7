"""What the JAX frontend costs per target, beside what JAX itself takes.

Run from the repository root: ``python bench/bench_jax.py``.

For each function the "cell" first calls it once (so JAX has traced and
compiled it, as in a notebook); then, in the same process, we time
tgraph's ``build`` (all three views, HLO parse and cost analysis), plain
``jax.make_jaxpr`` of a fresh wrapper of the Python function (an uncached
trace) and ``lower().compile().as_text()``, and laying out the original
view collapsed.
Times are medians of a few runs; ratios are build / make_jaxpr and
build / compile; compile reuses JAX's caches, as it would after the cell.
Most of build is tracing ``jax.grad`` for the gradient view.
"""

from __future__ import annotations

import linecache
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "kernel_ext"))

import jax
import jax.numpy as jnp
from benchutil import build_all, median

from tgraph import layout as _layout
from tgraph.frontends.jax import JaxFrontend
from tgraph.protocol import CellInfo, Options

CELLS = {
    "poly": (
        "x + x**10 on f32[5]",
        "poly(jnp.arange(5.0))",
        """
@jax.jit
def poly(x):
    return x + x**10
""",
    ),
    "logistic": (
        "logistic on f32[2,2]",
        "logistic(jnp.array([[0.0, 1.0], [-1.0, -2.0]]))",
        """
@jax.jit
def logistic(x):
    return 1 / (1 + jnp.exp(-x))
""",
    ),
    "scan": (
        "lax.scan recurrence, 10 steps",
        "running(jnp.linspace(-1.0, 1.0, 10))",
        """
@jax.jit
def running(xs):
    def step(h, x):
        h = 0.9 * h + jnp.tanh(x)
        return h, h
    return jax.lax.scan(step, 0.0, xs)[1]
""",
    ),
    "mlp": (
        "MLP loss, 3 layers",
        "mlp(params3, x, y)",
        """
@jax.jit
def mlp(params, x, y):
    for w, b in params:
        x = jnp.tanh(x @ w + b)
    return jnp.mean((x - y) ** 2)
""",
    ),
    "deep": (
        "MLP loss, 250 layers",
        "mlp_deep(params250, x, y)",
        """
@jax.jit
def mlp_deep(params, x, y):
    for i, (w, b) in enumerate(params):
        with jax.named_scope(f"layer{i}"):
            x = jnp.tanh(x @ w + b)
    return jnp.mean((x - y) ** 2)
""",
    ),
}


def main(runs: int = 3) -> None:
    key = jax.random.key(0)

    def params(n: int) -> list[tuple[jax.Array, jax.Array]]:
        keys = jax.random.split(key, n)
        return [(jax.random.normal(k, (16, 16)) * 0.25, jnp.zeros(16)) for k in keys]

    namespace: dict[str, Any] = {
        "jax": jax,
        "jnp": jnp,
        "params3": params(3),
        "params250": params(250),
        "x": jnp.ones((32, 16)),
        "y": jnp.zeros((32, 16)),
    }
    _layout.warm_up()
    frontend = JaxFrontend()
    rows = []
    for i, (name, (what, call, body)) in enumerate(CELLS.items()):
        src = body + "\n" + call + "\n"
        filename = f"<bench-cell-{i}>"
        linecache.cache[filename] = (len(src), None, src.splitlines(True), filename)
        with frontend.observe():
            exec(compile(src, filename, "exec"), namespace)
        cell = CellInfo(code=src, filename=filename)
        fun_name = call.split("(", 1)[0]
        (target,) = frontend.targets({fun_name: namespace[fun_name]}, cell)
        fun, args = namespace[fun_name], target.args
        bundle = build_all(frontend, target, Options(), cell)
        t_build = median(lambda t=target, c=cell: build_all(frontend, t, Options(), c), runs)
        t_jaxpr = median(lambda f=fun._fun, a=args: jax.make_jaxpr(lambda *v: f(*v))(*a), runs)
        t_compile = median(lambda f=fun, a=args: f.lower(*a).compile().as_text(), runs)
        graph = bundle.views["original"]
        t_layout = median(lambda g=graph: _layout.layout(g), runs)
        rows.append((name, what, bundle.info["equations"], t_build, t_jaxpr, t_compile, t_layout))

    print(f"JAX {jax.__version__}, device {jax.devices()[0]}, median of {runs} runs\n")
    header = "| target | what | jaxpr eqns | build (ms) | make_jaxpr (ms) | compile+as_text (ms) "
    header += "| build / make_jaxpr | build / compile | layout original (ms) |"
    print(header)
    print("|" + "---|" * 9)
    for name, what, eqns, tb, tj, tc, tl in rows:
        print(
            f"| {name} | {what} | {eqns} | {tb * 1e3:.1f} | {tj * 1e3:.1f} | {tc * 1e3:.1f} "
            f"| {tb / tj:.1f}x | {tb / tc:.1f}x | {tl * 1e3:.1f} |"
        )


if __name__ == "__main__":
    main()
