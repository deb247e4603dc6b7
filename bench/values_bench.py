"""Values on the graph: seconds from the request to every node's value.

The tutorial's targets (each view already built, as when the user presses
"Values") and a graph of about 1,000 nodes, for PyTensor and JAX. The
issue's goal: 100 ms for the tutorial targets, 1 s for 1,000 nodes.

    .venv/bin/python bench/values_bench.py
"""

from __future__ import annotations

import functools
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))

from benchutil import cpu_model, median

from tgraph.protocol import CellInfo, Options, Traced, values_of

RUNS = 5

PYTENSOR = {
    "poly": """
import pytensor, pytensor.tensor as T
x = T.vector('x')
y = x + x ** 10
poly = pytensor.function([x], y)
poly([0, 1, 2])
""",
    "logistic": """
import pytensor, pytensor.tensor as T
x = T.dmatrix('x')
s = 1 / (1 + T.exp(-x))
logistic = pytensor.function([x], s)
logistic([[0, 1], [-1, -2]])
""",
    "dLogistic": """
import pytensor, pytensor.tensor as T
x = T.dmatrix('x')
s = T.sum(1 / (1 + T.exp(-x)))
dLogistic = pytensor.function([x], T.grad(s, x))
dLogistic([[0, 1], [-1, -2]])
""",
    "safe_log": """
import pytensor, pytensor.tensor as T
u = T.dvector('u')
safe_log = pytensor.function([u], T.log(1 + u))
safe_log([1e-20, 1e-10])
""",
    "chain1000": """
import numpy as np, pytensor, pytensor.tensor as T
x = T.dvector('x')
y = x
for i in range(500):
    y = T.sin(y) * (1.0 + i * 1e-3)
chain1000 = pytensor.function([x], y)
chain1000(np.linspace(0, 1, 100))
""",
}

JAX = {
    "poly": """
import jax, jax.numpy as jnp
@jax.jit
def poly(x):
    return x + x**10
poly(jnp.arange(5.0))
""",
    "logistic": """
import jax, jax.numpy as jnp
@jax.jit
def logistic(x):
    return 1 / (1 + jnp.exp(-x))
logistic(jnp.array([[0.0, 1.0], [-1.0, -2.0]]))
""",
    "chain1000": """
import jax, jax.numpy as jnp
@jax.jit
def chain1000(x):
    for i in range(500):
        x = jnp.sin(x) * (1.0 + i * 1e-3)
    return x
chain1000(jnp.linspace(0.0, 1.0, 100))
""",
}


def traced(frontend: Any, code: str, name: str) -> Traced:
    cell = CellInfo(code, f"<bench-{name}>")
    namespace: dict[str, Any] = {}
    with frontend.observe():
        exec(compile(code, cell.filename, "exec"), namespace)
    changed = {k: v for k, v in namespace.items() if not k.startswith("__")}
    target = next(t for t in frontend.targets(changed, cell) if t.name == name)
    found = frontend.trace(target, Options(), cell)
    found.build_all()
    return found


def bench(title: str, frontend: Any, cells: dict[str, str]) -> None:
    for name, code in cells.items():
        found = traced(frontend, code, name)
        for view in ("original", "optimized"):
            nodes = len(found.bundle.views[view].nodes)
            ask = functools.partial(values_of, found, view)
            first = median(ask, 1)  # JAX: the first eager dispatch of each primitive
            seconds = median(ask, RUNS)
            error = values_of(found, view).error
            print(
                f"{title:8} {name:10} {view:9} {nodes:5} nodes  first {first * 1000:7.1f} ms"
                f"  then {seconds * 1000:7.1f} ms{'  ERROR ' + error if error else ''}"
            )


def main() -> None:
    print(f"values after the request, median of {RUNS} ({cpu_model()})")
    from tgraph.frontends.pytensor import PyTensorFrontend

    bench("PyTensor", PyTensorFrontend(), PYTENSOR)
    from tgraph.frontends.jax import JaxFrontend

    bench("JAX", JaxFrontend(), JAX)


if __name__ == "__main__":
    main()
