"""PyMC models and the compiled functions PyMC hands out, as PyMC users write them.

A ``pm.Model`` is one target: its log-probability as a sampler compiles it,
its gradient, timed as one logp + dlogp evaluation at the initial point; its
random variables are drawn inside, not apart. A compiled function inside a
wrapper (PyMC's point functions) is a target named after the wrapper.

PyMC 6 needs Python 3.12; these tests skip where it is not installed.
Tried with PyMC 6.4.0 on PyTensor 3.3.8: the four-line linear regression of
issue 13 (item 9), ``compile_logp``/``compile_dlogp``/``logp_dlogp_function``,
``check_bounds=False``, and a ``pm.Normal.dist`` outside a model.
"""

from __future__ import annotations

import functools
import importlib.util
from typing import Any

import numpy as np
import pytensor
import pytensor.tensor as pt
import pytest
from IPython.core.interactiveshell import InteractiveShell

from asked import values_of_every_view, widgets
from conftest import run
from tgraph.frontends.pytensor import PyTensorFrontend
from tgraph.protocol import CellInfo, Options, Target, Traced, values_of

FRONTEND = PyTensorFrontend()
needs_pymc = pytest.mark.skipif(
    importlib.util.find_spec("pymc") is None,
    reason="PyMC is not installed (PyMC 6 needs Python 3.12)",
)

DATA = """
import numpy as np, pymc as pm
x = np.linspace(0, 1, 20)
y = 1 + 2 * x + np.random.default_rng(0).normal(0, 0.1, 20)
"""
REGRESSION = """
with pm.Model() as model:
    alpha = pm.Normal("alpha", 0, 10)
    beta = pm.Normal("beta", 0, 10)
    sigma = pm.HalfNormal("sigma", 1)
    obs = pm.Normal("obs", alpha + beta * x, sigma, observed=y)
"""
COMPILED = """
point = model.initial_point()
logp_fn = model.compile_logp(); dlogp_fn = model.compile_dlogp(); logp_fn(point)
"""


def cell(code: str, namespace: dict[str, Any]) -> tuple[dict[str, Any], list[Target]]:
    """Run ``code`` observed, as the magic does; its changed names and their targets."""
    before = dict(namespace)
    with FRONTEND.observe():
        exec(code, namespace)
    changed = {
        k: v
        for k, v in namespace.items()
        if not k.startswith("__") and (k not in before or before[k] is not v)
    }
    return changed, FRONTEND.targets(changed, CellInfo(code))


def regression() -> tuple[dict[str, Any], Target]:
    namespace: dict[str, Any] = {}
    exec(DATA, namespace)
    _, targets = cell(REGRESSION, namespace)
    (target,) = targets
    return namespace, target


def traced(target: Target) -> Traced:
    found = FRONTEND.trace(target, Options(), CellInfo(REGRESSION))
    found.build_all()
    assert found.errors == {}
    return found


def output_value(found: Traced, view: str, name: str | None = None) -> float:
    """The value of the output ``name`` (or the only output) of a view."""
    values = values_of(found, view).to_json()
    outputs = [n for n in found.bundle.views[view].nodes if n.kind == "output" and n.parent is None]
    (node,) = [n for n in outputs if name in (None, n.name)]
    value = values["nodes"][node.id]
    assert value["shape"] == [] and value["error"] == ""
    return float(value["min"])


@needs_pymc
def test_a_model_is_one_target_named_after_its_variable() -> None:
    _, target = regression()
    assert (target.name, target.aliases) == ("model", [])


@needs_pymc
def test_a_model_cell_makes_its_graph_after_the_cell() -> None:
    namespace, target = regression()
    model = namespace["model"]
    found = FRONTEND.trace(target, Options(), CellInfo(REGRESSION))
    # model.logp() and its drawing cost the cell a third of a second: all wait
    assert found.bundle.views == {}
    assert {v: lazy.task for v, lazy in found.later.items()} == {
        "original": "making the graph",
        "optimized": "making the graph",
        "gradient": "making the graph",
    }
    # the first view asked for makes the graph once; the others come from it
    assert found.build("optimized") and found.pending() == ["original", "gradient"]
    found.build_all()
    assert found.errors == {}
    want = float(model.compile_logp()(model.initial_point()))
    assert output_value(found, "original", "logp") == pytest.approx(want, rel=1e-14)
    assert {r.view for r in found.bundle.rewrites} <= {"optimized", "gradient"}
    assert any(r.view == "optimized" for r in found.bundle.rewrites)
    synced = FRONTEND.trace(target, Options(sync=True), CellInfo(REGRESSION))
    for view in ("original", "optimized", "gradient"):
        assert found.bundle.views[view] == synced.bundle.views[view], view


@needs_pymc
def test_the_drawn_logp_is_pymcs_own_at_the_initial_point() -> None:
    namespace, target = regression()
    model = namespace["model"]
    found = traced(target)
    want = float(model.compile_logp()(model.initial_point()))
    # PyMC's function runs compiled (Numba or C), the drawn graph in Python: a few ulps apart.
    assert output_value(found, "optimized", "logp") == pytest.approx(want, rel=1e-14)
    assert output_value(found, "original", "logp") == pytest.approx(want, rel=1e-14)
    inputs = {n.name for n in found.bundle.views["original"].nodes if n.kind == "input"}
    assert inputs == {"alpha", "beta", "sigma_log__"}
    assert values_of(found, "optimized").inputs == "the model's initial point"


@needs_pymc
def test_the_gradient_is_pymcs_dlogp_and_checked() -> None:
    namespace, target = regression()
    model = namespace["model"]
    found = traced(target)
    gradient = found.bundle.views["gradient"]
    assert gradient.notes == ["checked against pytensor.grad at the model's initial point"]
    got = [output_value(found, "gradient", f"∂logp/∂{v}") for v in ("alpha", "beta", "sigma_log__")]
    want = model.compile_dlogp()(model.initial_point())
    np.testing.assert_allclose(got, want, rtol=1e-12)


@needs_pymc
@pytest.mark.parametrize("check_bounds", [True, False])
def test_the_optimized_view_has_pymcs_own_rewrites(check_bounds: bool) -> None:
    """A sampler's compile turns the distributions' parameter checks into -inf (or drops them)."""
    namespace: dict[str, Any] = {}
    exec(DATA, namespace)
    code = REGRESSION.replace("pm.Model()", f"pm.Model(check_bounds={check_bounds})")
    _, (target,) = cell(code, namespace)
    found = traced(target)
    original = [n.label for n in found.bundle.views["original"].nodes if n.kind == "op"]
    optimized = [n.label for n in found.bundle.views["optimized"].nodes if n.kind == "op"]
    assert any(label.startswith("Check{") for label in original)
    assert not any(label.startswith("Check{") for label in optimized)
    rewrites = {r.name for r in found.bundle.rewrites if r.view == "optimized"}
    to_ninf, removed = "local_check_parameter_to_ninf_switch", "local_remove_check_parameter"
    assert (to_ninf in rewrites, removed in rewrites) == (check_bounds, not check_bounds)


@needs_pymc
def test_the_logp_is_grouped_by_the_variable_each_term_belongs_to() -> None:
    namespace: dict[str, Any] = {}
    exec(DATA, namespace)
    _, (target,) = cell(REGRESSION + '    pm.Potential("shrink", -(beta**2))\n', namespace)
    original = traced(target).bundle.views["original"]
    terms = {s.label: s for s in original.subgraphs if s.kind == "term"}
    assert list(terms) == ["alpha", "beta", "sigma", "obs", "shrink"]
    roles = [s.attrs["role"] for s in terms.values()]
    assert roles == ["random variable"] * 3 + ["observed", "potential"]
    members = {
        name: {n.label for n in original.nodes if n.parent == s.id} for name, s in terms.items()
    }
    # each term is its own logp, summed; the potential is what the cell wrote
    assert all("Sum{axes=None}" in m for m in members.values())
    assert {"pow", "neg"} <= members["shrink"]
    # the value variables every term reads stay outside, with the final sum
    top = {n.label for n in original.nodes if n.parent is None}
    assert {"alpha", "beta", "sigma_log__", "logp"} <= top
    assert not top & {"Check{sigma > 0}", "Sum{axes=None}"}


TRENDED = """
with pm.Model() as model:
    alpha = pm.Normal("alpha", 0, 10, initval=1.0)
    beta = pm.Normal("beta", 0, 10, initval=2.0)
    sigma = pm.HalfNormal("sigma", 1)
    mu = pm.Deterministic("mu", alpha + beta * x)
    rise = pm.Deterministic("rise", mu[-1] - mu[0])
    obs = pm.Normal("obs", mu, sigma, observed=y)
"""
RESIDUALS = """
with pm.Model() as model:
    alpha = pm.Normal("alpha", 0, 10)
    beta = pm.Normal("beta", 0, 10)
    sigma = pm.HalfNormal("sigma", 1)
    mu = pm.Deterministic("mu", alpha + beta * x)
    scale = pm.Deterministic("scale", sigma)
    obs = pm.Normal("obs", mu, scale, observed=y)
    resid = pm.Deterministic("resid", (y - mu) / sigma)
    pm.Potential("fit", -0.5 * (resid**2).sum())
    pm.Potential("smooth", -((resid[1:] - resid[:-1]) ** 2).sum())
"""


def drawn_model(code: str) -> tuple[Any, Traced]:
    """The model a cell after ``DATA`` makes, and its views."""
    namespace: dict[str, Any] = {}
    exec(DATA, namespace)
    _, (target,) = cell(code, namespace)
    return namespace["model"], traced(target)


def groups_of(graph: Any, kind: str) -> list[tuple[str, str | None, list[str]]]:
    """(label, label of the group around it, labels of its own nodes) of each group of ``kind``."""
    labels = {s.id: s.label for s in graph.subgraphs}
    found = [
        (
            s.label,
            labels.get(s.parent or ""),
            sorted(n.label for n in graph.nodes if n.parent == s.id),
        )
        for s in graph.subgraphs
        if s.kind == kind
    ]
    return sorted(found, key=lambda group: (group[0], group[1] or ""))


@needs_pymc
def test_a_deterministic_the_likelihood_uses_is_a_group_inside_its_term() -> None:
    model, found = drawn_model(TRENDED)
    original = found.bundle.views["original"]
    # mu's ops and the data it reads, cut out of obs's term; exp(sigma_log__) is sigma, not mu
    assert groups_of(original, "deterministic") == [
        (
            "mu",
            "obs",
            ["ExpandDims{axis=0}", "ExpandDims{axis=0}", "[0. , 0.0526, .…", "add", "mul"],
        )
    ]
    (group,) = [s for s in original.subgraphs if s.kind == "deterministic"]
    assert group.attrs == {"variable": "mu", "role": "deterministic"}
    # what leaves the group is mu at the initial point, as PyMC computes it for the trace
    members = {n.id for n in original.nodes if n.parent == group.id}
    (out,) = {e.src for e in original.edges if e.src in members and e.dst not in members}
    value = values_of(found, "original").to_json()["nodes"][out]
    (mu,) = model.replace_rvs_by_values([model["mu"]])
    point = model.initial_point()
    want = model.compile_fn(mu, inputs=model.value_vars, on_unused_input="ignore")(point)
    assert (value["min"], value["max"]) == pytest.approx((want.min(), want.max()), rel=1e-14)
    assert (want.min(), want.max()) == pytest.approx((1.0, 3.0))
    assert original.notes == [
        "rise is a Deterministic the logp does not use: PyMC computes it only for the trace, "
        "so it is not drawn"
    ]


@needs_pymc
def test_a_deterministic_terms_share_stands_beside_them_and_holds_what_it_is_built_from() -> None:
    _, found = drawn_model(RESIDUALS)
    original = found.bundle.views["original"]
    # both potentials read one resid; obs and resid each compute their own mu
    assert groups_of(original, "deterministic") == [
        ("mu", "obs", ["ExpandDims{axis=0}", "ExpandDims{axis=0}", "add", "mul"]),
        ("mu", "resid", ["ExpandDims{axis=0}", "ExpandDims{axis=0}", "ViewOp", "add", "mul"]),
        ("resid", None, ["ExpandDims{axis=0}", "ViewOp", "sub", "true_div"]),
    ]
    terms = [label for label, _, _ in groups_of(original, "term")]
    assert terms == ["alpha", "beta", "fit", "obs", "sigma", "smooth"]
    assert original.notes == [
        "scale is a Deterministic that only renames a random variable that obs reads: "
        "no node computes it alone, so it is not drawn",
        "the logp as written computes mu twice (in obs and resid): each is a group named mu",
    ]


@needs_pymc
def test_a_deterministic_the_rewrites_fold_away_is_said_so() -> None:
    code = """
with pm.Model() as model:
    alpha = pm.Normal("alpha", 0, 10)
    half = pm.Deterministic("half", alpha / 2)
    obs = pm.Normal("obs", half * 4, 1, observed=y)
"""
    _, found = drawn_model(code)
    original = found.bundle.views["original"]
    assert groups_of(original, "deterministic") == []
    assert original.notes == [
        "half is a Deterministic that obs uses, but PyMC's rewrites folded it into what uses "
        "it: no node computes it alone, so it is not drawn"
    ]


@needs_pymc
def test_a_model_is_timed_as_one_sampler_step_at_its_initial_point() -> None:
    _, target = regression()
    result = FRONTEND.time(target, Options(budget=0.2), FRONTEND.devices(), None)
    assert result.error is None
    assert result.signature == "alpha: float64[], beta: float64[], sigma_log__: float64[]"
    assert result.notes == [
        "each call is one logp + dlogp evaluation, what a sampler pays a step",
        "timed at the model's initial point",
    ]
    assert result.samples and min(result.samples) > 0


@needs_pymc
def test_compiled_point_functions_are_targets_named_after_their_variables() -> None:
    namespace, _ = regression()
    changed, targets = cell(COMPILED, namespace)
    by_name = {t.name: t for t in targets}
    assert sorted(by_name) == ["dlogp_fn", "logp_fn"]
    logp_fn = by_name["logp_fn"]
    assert logp_fn.obj is changed["logp_fn"].f
    assert logp_fn.args_from == "call"  # type: ignore[attr-defined]
    assert logp_fn.kwargs == changed["point"]
    assert by_name["dlogp_fn"].args is None
    found = FRONTEND.trace(logp_fn, Options(), CellInfo(COMPILED))
    found.build_all()
    want = float(changed["logp_fn"](changed["point"]))
    assert output_value(found, "optimized") == pytest.approx(want, rel=1e-14)


@needs_pymc
def test_a_value_and_gradient_function_is_a_target_too() -> None:
    namespace, _ = regression()
    code = "fn = model.logp_dlogp_function(ravel_inputs=True)\n"
    changed, (target,) = cell(code, namespace)
    assert target.name == "fn"
    assert target.obj is changed["fn"]._pytensor_function


@needs_pymc
def test_a_distribution_outside_a_model_is_drawn_with_its_rng() -> None:
    _, (target,) = cell("import pymc as pm\nd = pm.Normal.dist(mu=1.0, sigma=2.0)\n", {})
    found = FRONTEND.trace(target, Options(), CellInfo(""))
    [normal] = [n for n in found.bundle.views["original"].nodes if "random" in n.tags]
    assert normal.label == "normal" and "rng" in normal.attrs


@needs_pymc
def test_the_magic_leaves_the_model_cells_as_they_were(shell: InteractiveShell) -> None:
    """Namespace, output and the model's numbers are the same with and without the magic."""
    seen = []
    for magic in ("", "%%tgraph\n"):
        shell.reset(new_session=False)
        run(shell, DATA)
        first = run(shell, magic + REGRESSION)
        second = run(shell, magic + COMPILED)
        ns = shell.user_ns
        model = ns["model"]
        seen.append(
            (
                first.error,
                first.stdout,
                second.error,
                second.result,
                sorted(ns["point"].items()),
                [v.name for v in model.free_RVs],
                float(ns["logp_fn"](ns["point"])),
                list(ns["dlogp_fn"](ns["point"])),
                float(model.compile_logp()(model.initial_point())),
            )
        )
    assert seen[0] == seen[1]
    entries = shell.magics_manager.registry["TgraphMagics"].registry.entries
    assert [e.traced.bundle.target for e in entries] == ["model", "logp_fn", "dlogp_fn"]


class _Wrapper:
    """A callable around a compiled function, as libraries hand them out."""

    __slots__ = ("fn",)

    def __init__(self, fn: Any) -> None:
        self.fn = fn

    def __call__(self, value: Any) -> Any:
        return self.fn(value)


def test_a_wrapped_compiled_function_is_a_target_with_its_last_call() -> None:
    x = pt.dvector("x")
    wrapped = _Wrapper(pytensor.function([x], pt.exp(x)))
    with FRONTEND.observe():
        wrapped([0.0, 1.0])
    (target,) = FRONTEND.targets({"wrapped": wrapped}, CellInfo(""))
    assert (target.name, target.obj) == ("wrapped", wrapped.fn)
    assert target.args == ([0.0, 1.0],)


def test_a_partial_of_a_compiled_function_is_a_target_with_its_call() -> None:
    """What tgraph's hint for removed input defaults tells users to write."""
    x, y = pt.dscalars("x", "y")
    g = functools.partial(pytensor.function([x, y], x * y), y=2.0)
    with FRONTEND.observe():
        g(3.0)
    (target,) = FRONTEND.targets({"g": g}, CellInfo(""))
    assert (target.name, target.obj, target.args, target.kwargs) == (
        "g",
        g.func,
        (3.0,),
        {"y": 2.0},
    )


def test_a_wrapper_of_two_functions_is_not_a_target() -> None:
    """Which of the two the user means is unknown: neither is guessed."""
    x = pt.dvector("x")
    both = type("Both", (), {"__call__": lambda self, v: self.f(v) + self.g(v)})()
    both.f = pytensor.function([x], x * 2)
    both.g = pytensor.function([x], x * 3)
    assert FRONTEND.targets({"both": both}, CellInfo("")) == []


BOUNDED = """
with pm.Model() as bounded:
    sigma = pm.HalfNormal("sigma", 1.0, shape=2)
    p = pm.Beta("p", 2.0, 2.0)
    u = pm.Uniform("u", -1.0, 1.0, shape=3)
    lam = pm.Exponential("lam", 1.0)
    t = pm.TruncatedNormal("t", 0.0, 1.0, lower=0.0)
    obs = pm.Normal("obs", u.sum() * p, sigma[0] + lam + t, observed=[0.1, -0.3, 0.2])
"""


@needs_pymc
def test_a_support_bound_never_selected_is_no_first_nan(shell: InteractiveShell) -> None:
    """The bounds' -inf constants (and ops on them alone) are marked constant and
    passed over: at the initial point no NaN or inf reaches the log-probability."""
    run(shell, "import numpy as np\nimport pymc as pm")
    (widget,) = widgets(run(shell, "%%tgraph\n" + BOUNDED))
    values = values_of_every_view(widget)
    assert [values[v]["first_nonfinite"] for v in ("original", "optimized", "gradient")] == [
        None,
        None,
        None,
    ]
    original = widget._entry.bundle.views["original"]
    infinite = [n for n in original.nodes if values["original"]["nodes"][n.id]["inf"]]
    assert {n.label for n in infinite if n.kind == "constant"} == {"inf", "-inf"}
    assert any(n.kind == "op" for n in infinite)  # the bounds expanded to vectors
    assert all(values["original"]["nodes"][n.id].get("constant") for n in infinite)


@needs_pymc
def test_out_of_its_support_the_first_nan_is_the_log_probability_term(
    shell: InteractiveShell,
) -> None:
    run(shell, "import numpy as np\nimport pymc as pm")
    cell = """%%tgraph
with pm.Model() as outside:
    sigma = pm.HalfNormal("sigma", 1.0)
    p = pm.Uniform("p", 0.0, 1.0, default_transform=None, initval=1.5)
    y = pm.Normal("y", p, sigma, observed=np.array([0.1, -0.3, 0.2]))
"""
    (widget,) = widgets(run(shell, cell))
    values = values_of_every_view(widget)
    first = values["original"]["first_nonfinite"]
    assert first is not None and first["label"] == "Switch"
    assert first["reading"].startswith("Switch is the first node with a non-finite value (1 inf)")
    assert first["finite_inputs"] == ["AND", "second"]
    switch = widget._entry.bundle.views["original"].node(first["node"])
    assert not values["original"]["nodes"][switch.id].get("constant")
