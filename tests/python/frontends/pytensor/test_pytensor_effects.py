"""PyTensor programs with side effects are never run behind the user's back.

A ``Print`` op prints (and calls its ``global_fn``) on every call, and an
``as_op`` runs the user's Python: tgraph draws such a graph but neither
times it by itself nor computes its values or checks its gradient
numerically. Cells as a notebook has them: the counter first, the graph
and its call next.
"""

from __future__ import annotations

import importlib.util
import re
from typing import Any

import pytest
from IPython.core.interactiveshell import InteractiveShell

from asked import automatic_requests, send, values_of_every_view, widgets
from conftest import run
from tgraph.timing import EFFECT_CALLS

COUNTER = """
from pytensor.printing import Print
calls = []
def note(op, value):
    calls.append(float(value.sum()))
"""

EFFECTS = {
    "print": (
        COUNTER,
        "u = pt.dvector('u')\nshown = Print('u', global_fn=note)(u)\n"
        "h = pytensor.function([u], (shown ** 2).sum())\nr = h(np.ones(3))\n",
        "Print",
    ),
    "as_op": (
        """
calls = []
@pytensor.wrap_py(itypes=[pt.dvector], otypes=[pt.dvector])
def counted(x):
    calls.append(1)
    return x * 2
""",
        "u = pt.dvector('u')\nh = pytensor.function([u], counted(u).sum())\nr = h(np.ones(3))\n",
        "counted",
    ),
}


@pytest.fixture
def pt_shell(shell: InteractiveShell) -> InteractiveShell:
    run(shell, "import numpy as np\nimport pytensor\nimport pytensor.tensor as pt")
    return shell


@pytest.mark.parametrize("kind", list(EFFECTS))
def test_an_op_with_side_effects_runs_as_often_as_in_the_plain_notebook(
    pt_shell: InteractiveShell, kind: str
) -> None:
    definitions, call, op = EFFECTS[kind]
    run(pt_shell, definitions)
    (widget,) = widgets(run(pt_shell, "%%tgraph --budget 0.1\n" + call))
    assert len(pt_shell.user_ns["calls"]) == 1
    automatic_requests(widget)
    values = values_of_every_view(widget)
    assert len(pt_shell.user_ns["calls"]) == 1
    assert widget.autorun is False and widget.timings == []
    assert widget.timing_error.startswith(f"not timed by itself: h runs {op}, which ")
    for view in ("original", "optimized"):
        assert values[view]["error"].startswith("values not computed: h runs ")
    gradient = widget._entry.bundle.views["gradient"]
    assert not any(n.startswith("checked against") for n in gradient.notes)
    send(widget, {"type": "profile"})
    assert widget.timing_error.startswith(f"not profiled: h runs {op}, which ")
    assert len(pt_shell.user_ns["calls"]) == 1


def test_run_times_a_print_anyway_and_says_so(pt_shell: InteractiveShell) -> None:
    definitions, call, _ = EFFECTS["print"]
    run(pt_shell, definitions)
    (widget,) = widgets(run(pt_shell, "%%tgraph --budget 0.1\n" + call))
    promised = int(re.search(r"about (\d+) times", widget.timing_error).group(1))
    send(widget, {"type": "time"})
    (row,) = widget.timings
    ran = len(pt_shell.user_ns["calls"]) - 1
    assert 0 < ran <= promised
    assert f"ran anyway with its side effects: {ran} calls of h" in row["notes"]


@pytest.mark.skipif(importlib.util.find_spec("pymc") is None, reason="PyMC is not installed")
def test_a_models_python_likelihood_gets_no_values_once_its_graph_is_made(
    pt_shell: InteractiveShell,
) -> None:
    """A PyMC model's graph is made after the cell, when its first view is asked
    for: from then on its values and its gradient check are held back too."""
    run(pt_shell, "import pymc as pm\n" + EFFECTS["as_op"][0])
    cell = """%%tgraph
with pm.Model() as model:
    mu = pm.Normal("mu", 0.0, 1.0, shape=3)
    pm.Potential("lik", -counted(mu).sum())
"""
    (widget,) = widgets(run(pt_shell, cell))
    values = values_of_every_view(widget)
    assert values["original"]["error"] == (
        "values not computed: model runs counted, which runs Python code (as_op) on every call"
    )
    gradient = widget._entry.bundle.views["gradient"]
    assert not any(n.startswith("checked against") for n in gradient.notes)
    assert pt_shell.user_ns["calls"] == []


#: A PyMC model whose likelihood holds the op, and what the panel names it.
MODELS = {
    "as_op": ("-counted(mu).sum()", "counted, which runs Python code (as_op) on every call"),
    "print": ("-(Print('mu', global_fn=note)(mu) ** 2).sum()", "Print, which prints on every call"),
}


def model_widget(shell: InteractiveShell, kind: str) -> Any:
    run(shell, "import pymc as pm\n" + EFFECTS[kind][0])
    cell = f"""%%tgraph --budget 0.1
with pm.Model() as model:
    mu = pm.Normal("mu", 0.0, 1.0, shape=3)
    pm.Potential("lik", {MODELS[kind][0]})
"""
    (widget,) = widgets(run(shell, cell))
    return widget


@pytest.mark.skipif(importlib.util.find_spec("pymc") is None, reason="PyMC is not installed")
@pytest.mark.parametrize("kind", list(MODELS))
def test_a_models_likelihood_with_effects_is_not_timed_by_itself_once_its_graph_is_made(
    pt_shell: InteractiveShell, kind: str
) -> None:
    """Whether a model has effects is known only once its graph is made, after
    the cell: the widget's automatic timing request is refused then."""
    widget = model_widget(pt_shell, kind)
    assert widget.autorun is True  # unknown in the cell: the graph is not made yet
    automatic_requests(widget)
    assert pt_shell.user_ns["calls"] == []
    assert widget.timings == []
    assert widget.timing_error == (
        f"not timed by itself: model runs {MODELS[kind][1]}. "
        f"Run times it anyway and runs it about {EFFECT_CALLS} times"
    )


#: What one timed call of each model is: an ``as_op`` has no gradient.
EACH_CALL = {
    "as_op": "each call is one logp evaluation: PyTensor cannot differentiate this model "
    "(pullback not implemented for FromFunctionOp{counted}), so a sampler steps without "
    "its gradient",
    "print": "each call is one logp + dlogp evaluation, what a sampler pays a step",
}


@pytest.mark.skipif(importlib.util.find_spec("pymc") is None, reason="PyMC is not installed")
@pytest.mark.parametrize("kind", list(MODELS))
def test_run_times_a_model_with_effects_anyway_and_says_so(
    pt_shell: InteractiveShell, kind: str
) -> None:
    widget = model_widget(pt_shell, kind)
    automatic_requests(widget)
    send(widget, {"type": "time"})
    assert widget.timing_error == ""
    (row,) = widget.timings
    ran = len(pt_shell.user_ns["calls"])
    assert 0 < ran <= EFFECT_CALLS
    assert f"ran anyway with its side effects: {ran} calls of model" in row["notes"]
    assert EACH_CALL[kind] in row["notes"]
