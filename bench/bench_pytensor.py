"""What tgraph costs to show a PyTensor graph, beside ``dprint`` and ``pydotprint``.

Run from the repository root: ``python bench/bench_pytensor.py`` (``--quick``
skips the 10,000-node graph).

For each target, tgraph's cost is split into ``build`` (tracing the graph as
written, running and recording the mode's real rewrites for the optimized
view, differentiating and rewriting again for the gradient view) and
``layout`` (the three views laid out collapsed, as the inline widget and the
panel do). ``rewrite only`` is PyTensor's own share of ``build``: the same
rewrite pipeline on the target and on its gradient with nothing recorded.
``json`` is the bundle serialised for the widget and the panel. Linking
(Numba's JIT) is not part of any column: the tutorial functions are compiled
once in the "cell", as in a notebook, before anything is timed.

Beside it, in the same process and on the same objects: ``pytensor.dprint``
into a ``StringIO`` and ``pytensor.printing.pydotprint`` into a temporary
file (it needs pydot and Graphviz's ``dot``; when it fails, its message is
the result). Times are medians of several runs after a warm-up; the first
call in a fresh process (wasm Graphviz start-up included) is reported apart.
"""

from __future__ import annotations

import argparse
import io
import linecache
import logging
import os
import platform
import sys
import tempfile
import time
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "kernel_ext"))

import numpy as np
import pytensor
import pytensor.tensor as pt
from benchutil import build_all, cpu_model, median
from pytensor.compile.maker import FunctionMaker
from pytensor.compile.mode import get_mode
from pytensor.compile.rebuild import construct_function_ins_and_outs
from pytensor.graph.basic import Variable

from tgraph import layout as lay
from tgraph.frontends.pytensor import PyTensorFrontend
from tgraph.frontends.pytensor.capture import plan as _plan
from tgraph.protocol import CellInfo, Options, Target

#: Goals from the issue: per tutorial target after warm-up; a 10k-node graph shown.
TUTORIAL_GOAL_S = 0.1
LARGE_GOAL_S = 3.0

# The tutorial's targets, each a notebook cell: (target, what, cell source).
TUTORIAL: list[tuple[str, str, str]] = [
    (
        "poly",
        "x + x**10, dvector",
        "x = pt.dvector('x')\npoly = function([x], x + x**10)\n",
    ),
    (
        "logistic",
        "1/(1+exp(-x)), dmatrix",
        "x = pt.dmatrix('x')\ns = 1 / (1 + pt.exp(-x))\nlogistic = function([x], s)\n",
    ),
    (
        "dlogistic",
        "grad(sum(logistic))",
        "x = pt.dmatrix('x')\ns = 1 / (1 + pt.exp(-x))\n"
        "gs = pt.grad(pt.sum(s), x)\ndlogistic = function([x], gs)\n",
    ),
    (
        "safe_log",
        "log(1+x), dvector",
        "u = pt.dvector('u')\nsafe_log = function([u], pt.log(1 + u))\n",
    ),
    (
        "add",
        "x + y, dscalars",
        "a, b = pt.dscalars('a', 'b')\nadd = function([a, b], a + b)\n",
    ),
    (
        "accumulator",
        "shared state += inc",
        "state = shared(0.0, name='state')\ninc = pt.dscalar('inc')\n"
        "accumulator = function([inc], state, updates=[(state, state + inc)])\n",
    ),
]

#: Terms per generated graph (about 11 drawn nodes each, see ``features``).
GENERATED = {"~100 nodes": 9, "~1,000 nodes": 90, "~10,000 nodes": 900}


def features(x: Variable, terms: int) -> Variable:
    """Many small expressions summed: ``sum_i c_i * sum(tanh(a_i * x + b_i))``.

    About 11 drawn nodes (ops and constants) per term. Terms are added ten
    at a time, as ``sum(...)`` in user code would, and the blocks pairwise
    (PyTensor's add canonicaliser recurses once per nested add, so a chain
    of a thousand adds overflows Python's stack). Each term ends in a
    reduction: without it, fusing ten thousand elementwise ops on one vector
    keeps PyTensor's rewriter busy for well over ten minutes.
    """
    blocks = []
    for start in range(0, terms, 10):
        block = [
            pt.sum(pt.tanh(x * (0.01 * (i + 1)) + 0.1 * (i % 7))) * (1.0 / (i + 1))
            for i in range(start, min(terms, start + 10))
        ]
        blocks.append(sum(block[1:], block[0]))
    while len(blocks) > 1:
        pairs = [blocks[i] + blocks[i + 1] for i in range(0, len(blocks) - 1, 2)]
        blocks = pairs + ([blocks[-1]] if len(blocks) % 2 else [])
    return blocks[0]


@dataclass
class Case:
    name: str
    what: str
    target: Target
    cell: CellInfo


@dataclass
class Row:
    case: Case
    nodes: tuple[int, int, int]
    runs: int
    build: float
    rewrite_only: float
    layout: float
    json: float
    dprint: float
    pydot: str


def _runs_for(seconds: float) -> int:
    """Five runs of quick things, three of slow ones, one of very slow ones."""
    return 5 if seconds < 2 else 3 if seconds < 20 else 1


def tutorial_cases(frontend: PyTensorFrontend) -> list[Case]:
    """Run each tutorial cell as the magic would (recording ``function`` calls)."""
    cases = []
    for i, (name, what, source) in enumerate(TUTORIAL):
        namespace: dict[str, Any] = {
            "pt": pt,
            "function": pytensor.function,
            "shared": pytensor.shared,
        }
        filename = f"<bench-cell-{i}>"
        linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
        with frontend.observe():
            exec(compile(source, filename, "exec"), namespace)
        cell = CellInfo(code=source, filename=filename, execution_count=i + 1)
        changed = {k: v for k, v in namespace.items() if k not in {"pt", "function", "shared"}}
        (target,) = [t for t in frontend.targets(changed, cell) if t.name == name]
        cases.append(Case(name, what, target, cell))
    return cases


def generated_cases(quick: bool) -> list[Case]:
    cases = []
    for label, terms in GENERATED.items():
        if quick and terms > 500:
            continue
        x = pt.dvector("x")
        total = features(x, terms)
        target = Target("total", "pytensor", total)
        cases.append(Case(label, f"{terms} sum(tanh) terms summed", target, CellInfo("")))
    return cases


def rewrite_only(target: Target) -> None:
    """PyTensor's share of ``build``: its rewrites on the target and its gradient."""
    plan = _plan(target)
    outputs = [v for _, v in plan.outputs]
    graphs = [(plan.inputs, outputs, plan.updates)]
    floats = [v for v in outputs if str(v.dtype).startswith("float")]
    inputs = [getattr(i, "variable", i) for i in plan.inputs]
    wrt = [v for v in inputs if str(v.dtype).startswith("float")]
    if floats and wrt:
        cost = floats[0] if floats[0].ndim == 0 else floats[0].sum()
        grads = pytensor.grad(cost, wrt, disconnected_inputs="ignore")
        graphs.append((plan.inputs, list(grads), []))
    for ins, outs, updates in graphs:
        ins2, outs2 = construct_function_ins_and_outs(list(ins), outs, updates=updates, givens=[])
        in_specs = [FunctionMaker.wrap_in(i) for i in ins2]
        out_specs = [FunctionMaker.wrap_out(o) for o in outs2]
        fgraph, _ = FunctionMaker.create_fgraph(in_specs, out_specs)
        plan.mode.optimizer.rewrite(fgraph)


def lay_out_all(bundle: Any) -> None:
    for graph in bundle.views.values():
        lay.layout(graph)


def try_pydotprint(obj: Any, folder: str) -> tuple[str, float | None]:
    """``pydotprint``'s time, or its failure message when it cannot run here."""
    start = time.perf_counter()
    try:
        pytensor.printing.pydotprint(obj, outfile=os.path.join(folder, "g.png"), format="png")
    except Exception as exc:  # ImportError without pydot, OSError without dot...
        return f"fails: {type(exc).__name__}: {exc}".replace("\n", " ").replace("|", "/"), None
    return "", time.perf_counter() - start


def measure(case: Case, frontend: PyTensorFrontend, folder: str) -> Row:
    options = Options()
    start = time.perf_counter()
    bundle = build_all(frontend, case.target, options, case.cell)  # warm-up of this target
    runs = _runs_for(time.perf_counter() - start)
    lay_out_all(bundle)
    sizes = [len(bundle.views[v].nodes) for v in ("original", "optimized", "gradient")]
    nodes = (sizes[0], sizes[1], sizes[2])
    build = median(lambda: build_all(frontend, case.target, options, case.cell), runs)
    layout = median(lambda: lay_out_all(bundle), runs)
    json = median(bundle.to_json, runs)
    rewrite = median(lambda: rewrite_only(case.target), runs)
    obj = case.target.obj
    dprint = median(lambda: pytensor.dprint(obj, file=io.StringIO()), max(runs, 3))
    failure, pydot_s = try_pydotprint(obj, folder)
    if pydot_s is not None:
        pydot_s = median(lambda: try_pydotprint(obj, folder), runs)
        pydot = f"{_ms(pydot_s)} ms"
    else:
        pydot = failure
    return Row(case, nodes, runs, build, rewrite, layout, json, dprint, pydot)


def cold_first_call(case: Case, frontend: PyTensorFrontend) -> tuple[float, float]:
    """The first build and layout in this process, before any warm-up."""
    start = time.perf_counter()
    bundle = build_all(frontend, case.target, Options(), case.cell)
    build = time.perf_counter() - start
    start = time.perf_counter()
    lay_out_all(bundle)
    return build, time.perf_counter() - start


def machine() -> str:
    model = cpu_model()
    return (
        f"{model}, {os.cpu_count()} cores; Python {platform.python_version()}, "
        f"pytensor {pytensor.__version__}, numpy {np.__version__}, "
        f"Graphviz engine {lay.engine_name()}"
    )


def _ms(seconds: float) -> str:
    if seconds < 0.01:
        return f"{seconds * 1e3:.2f}"
    return f"{seconds * 1e3:.1f}" if seconds < 10 else f"{seconds * 1e3:.0f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--quick", action="store_true", help="skip the 10,000-node graph")
    args = parser.parse_args()
    warnings.filterwarnings("ignore")
    logging.getLogger("pytensor").setLevel(logging.ERROR)
    frontend = PyTensorFrontend()
    cases = tutorial_cases(frontend)
    cold_build, cold_layout = cold_first_call(cases[0], frontend)
    lay.warm_up()
    cases += generated_cases(args.quick)
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        for case in cases:
            print(f"measuring {case.name}...", file=sys.stderr, flush=True)
            rows.append(measure(case, frontend, folder))

    print(f"Machine: {machine()}; default mode {type(get_mode(None).linker).__name__}\n")
    print(
        f"Cold first call in a fresh process ({cases[0].name}): build {_ms(cold_build)} ms, "
        f"layout of the three views {_ms(cold_layout)} ms (wasm Graphviz start-up included)\n"
    )
    print(
        "| target | what | nodes orig / opt / grad | runs | build (ms) | of which rewrite only "
        "(ms) | layout 3 views (ms) | json (ms) | tgraph total (ms) | goal | dprint (ms) "
        "| tgraph / dprint | pydotprint |"
    )
    print("|" + "---|" * 13)
    failures: list[str] = []
    for r in rows:
        total = r.build + r.layout + r.json
        tutorial = r.case.name in {t[0] for t in TUTORIAL}
        goal_s = TUTORIAL_GOAL_S if tutorial else LARGE_GOAL_S if "10,000" in r.case.name else None
        goal = (
            "—"
            if goal_s is None
            else f"< {goal_s:g} s: " + ("met" if total < goal_s else "**not met**")
        )
        pydot = r.pydot
        if pydot.startswith("fails"):
            if pydot not in failures:
                failures.append(pydot)
            pydot = f"fails ({failures.index(pydot) + 1})"
        nodes = " / ".join(str(n) for n in r.nodes)
        print(
            f"| {r.case.name} | {r.case.what} | {nodes} | {r.runs} | {_ms(r.build)} "
            f"| {_ms(r.rewrite_only)} | {_ms(r.layout)} | {_ms(r.json)} | {_ms(total)} | {goal} "
            f"| {_ms(r.dprint)} | {total / r.dprint:.0f}x | {pydot} |"
        )
    for i, failure in enumerate(failures, 1):
        print(f"\n({i}) pydotprint {failure}")


if __name__ == "__main__":
    main()
