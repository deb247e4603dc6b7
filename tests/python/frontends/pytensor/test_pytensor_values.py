"""Values on a PyTensor graph: PyTensor's own numbers, the first NaN, what rewrites changed."""

from __future__ import annotations

import importlib.util
from typing import Any

import numpy as np
import pytensor
import pytensor.tensor as pt
import pytest
from IPython.core.interactiveshell import InteractiveShell
from pytensor.compile.builders import OpFromGraph

from asked import values_of_every_view, widgets
from conftest import run
from tgraph.frontends.pytensor import PyTensorFrontend
from tgraph.frontends.pytensor.evaluate import NOT_RUN
from tgraph.protocol import CellInfo, Options, Traced, values_of

FRONTEND = PyTensorFrontend()


def traced(code: str, name: str, namespace: dict[str, Any] | None = None) -> Traced:
    """Run ``code`` as a cell under the frontend's observation and trace ``name``."""
    namespace = {} if namespace is None else namespace
    cell = CellInfo(code)
    with FRONTEND.observe():
        exec(code, namespace)
    changed = {k: v for k, v in namespace.items() if not k.startswith("__")}
    target = next(t for t in FRONTEND.targets(changed, cell) if t.name == name)
    return FRONTEND.trace(target, Options(), cell)


def node_id(traced: Traced, view: str, label: str) -> str:
    return next(n.id for n in traced.bundle.views[view].nodes if n.label == label)


LOG1P = """
import pytensor, pytensor.tensor as T
u = T.dvector('u')
w = T.log(1 + u)
safe_log = pytensor.function([u], w)
safe_log([1e-20, 1e-10])
"""


def test_log_of_one_plus_x_reads_0_as_written_and_1e_20_optimized() -> None:
    found = traced(LOG1P, "safe_log")
    original = values_of(found, "original").to_json()
    log = original["nodes"][node_id(found, "original", "log")]
    assert original["inputs"] == "the cell's inputs"
    assert original["made_up"] is False
    assert log["preview"] == "[0, 1e-10]"
    assert log["min"] == 0.0
    optimized = values_of(found, "optimized").to_json()
    log1p = optimized["nodes"][node_id(found, "optimized", "log1p")]
    assert log1p["min"] == 1e-20
    assert log1p["preview"] == "[1e-20, 1e-10]"
    (diff,) = optimized["differences"]
    assert diff["output"] == "w"
    assert diff["original"]["min"] == 0.0 and diff["optimized"]["min"] == 1e-20
    assert diff["rel_diff"] == 1.0
    assert diff["rewrites"] == ["local_log1p"]
    assert "the rewrites changed the result" in diff["reading"]
    assert diff["reading"].endswith("The rewrite that changed it: local_log1p")


def test_a_rewrite_that_keeps_the_numbers_reads_as_agreeing() -> None:
    found = traced(
        """
import pytensor, pytensor.tensor as T
x = T.dmatrix('x')
s = 1 / (1 + T.exp(-x))
logistic = pytensor.function([x], s)
logistic([[0, 1], [-1, -2]])
""",
        "logistic",
    )
    (diff,) = values_of(found, "optimized").to_json()["differences"]
    assert diff["rewrites"] == []
    assert diff["rel_diff"] is not None and diff["rel_diff"] <= 1e-6
    assert "agree within float tolerance" in diff["reading"]


NAN = """
import pytensor, pytensor.tensor as T
v = T.dvector('v')
out = T.sum(T.sqrt(v - 1) * T.exp(v))
f = pytensor.function([v], out)
f([0.5, 2, 3])
"""


def test_the_first_non_finite_node_is_the_sqrt() -> None:
    found = traced(NAN, "f")
    values = values_of(found, "original").to_json()
    first = values["first_nonfinite"]
    assert first is not None
    assert first["node"] == node_id(found, "original", "sqrt")
    assert first["label"] == "sqrt"
    assert first["finite_inputs"] == ["sub"]
    assert values["nodes"][first["node"]]["nan"] == 1
    assert values["nodes"][node_id(found, "original", "sub")]["preview"] == "[-0.5, 1, 2]"
    assert first["reading"] == (
        "sqrt is the first node with a non-finite value (1 NaN); its input sub was finite"
    )


def test_in_the_fused_graph_it_is_the_sqrt_inside_the_composite() -> None:
    """PyTensor 3.0 fuses the elementwise ops into a Composite; 3.3 also fuses
    the sum around it (FusedElemwise), so the sqrt sits one graph deeper."""
    found = traced(NAN, "f")
    first = values_of(found, "optimized").to_json()["first_nonfinite"]
    assert first is not None
    graph = found.bundle.views["optimized"]
    fused = graph.node(first["node"])
    assert (fused.parent, fused.label in ("Composite", "FusedElemwise")) == (None, True)
    assert first["inner_label"] == "sqrt"
    inner = graph.node(first["inner"])
    parents = {s.id: s.parent for s in graph.subgraphs}
    depth, sub = 0, inner.parent
    while sub is not None:
        depth, sub = depth + 1, parents[sub]
    assert (inner.label, depth) == ("sqrt", 1 if fused.label == "Composite" else 2)
    assert first["finite_inputs"] == ["v"]
    assert first["reading"] == (
        f"{fused.label} is the first node with a non-finite value (1 NaN), "
        "from sqrt inside it; its input v was finite"
    )


def test_a_finite_graph_has_no_first_non_finite_node() -> None:
    assert values_of(traced(LOG1P, "safe_log"), "original").to_json()["first_nonfinite"] is None


def test_values_equal_what_pytensor_computes_for_that_variable() -> None:
    """A node with several clients, and a node inside an OpFromGraph."""
    x = pt.dvector("x")
    shared = pt.exp(x) + 1  # used three times
    a, b = pt.dvectors("a", "b")
    inner_mul = a * b
    ofg = OpFromGraph([a, b], [inner_mul + a])
    out = ofg(shared, x) * shared + pt.log(shared)
    f = pytensor.function([x], out)
    xv = np.array([0.25, -1.5, 2.0])
    f(xv)
    namespace = {"x": x, "shared": shared, "out": out, "f": f}
    cell = CellInfo("")
    target = next(t for t in FRONTEND.targets(namespace, cell) if t.name == "f")
    target.args, target.kwargs = (xv,), {}
    found = FRONTEND.trace(target, Options(), cell)
    values = values_of(found, "original").to_json()
    graph = found.bundle.views["original"]
    add = next(n for n in graph.nodes if n.name == "shared")
    expected = pytensor.function([x], shared)(xv)
    got = values["nodes"][add.id]
    assert got["min"] == expected.min() and got["max"] == expected.max()
    assert got["mean"] == expected.mean()
    assert len([e for e in graph.edges if e.src == add.id]) >= 3
    ofg_node = next(n for n in graph.nodes if "subgraph" in n.attrs)
    inner = [n for n in graph.nodes if n.parent == ofg_node.attrs["subgraph"] and n.label == "mul"]
    (mul,) = inner
    want = pytensor.function([x], inner_mul, givens={a: shared, b: x})(xv)
    have = values["nodes"][mul.id]
    assert have["min"] == want.min() and have["max"] == want.max()
    np.testing.assert_allclose(have["mean"], want.mean(), rtol=1e-15)


def test_values_say_when_the_inputs_were_made_up() -> None:
    found = traced(
        """
import pytensor.tensor as T
y = T.dvector('y')
z = T.exp(y)
""",
        "z",
    )
    values = values_of(found, "original").to_json()
    assert values["inputs"] == "made-up inputs"
    assert values["made_up"] is True
    exp = values["nodes"][node_id(found, "original", "exp")]
    assert exp["shape"] == [3] and 1.0 < exp["min"] <= exp["max"] < np.exp(1.5)


def test_a_frontend_without_values_is_reported_as_such() -> None:
    found = traced(LOG1P, "safe_log")
    found.values = None
    assert values_of(found, "original").to_json()["error"] == (
        "values not available for this framework"
    )


def test_a_small_integer_constant_is_computed_in_the_nodes_own_dtype() -> None:
    """PyMC's ``log(sigma)`` with sigma=10 is an int8 constant: NumPy alone computes
    its log in float16 (2.3027), PyTensor in the node's dtype (2.302585)."""
    found = traced(
        """
import numpy as np, pytensor.tensor as T
x = T.dscalar('x')
y = T.log(x) + T.log(T.constant(np.int8(10)))
""",
        "y",
    )
    values = values_of(found, "original").to_json()
    graph = found.bundle.views["original"]
    logs = [n for n in graph.nodes if n.label == "log"]
    of_ten = next(n for n in logs if any(e.dst == n.id and graph.node(e.src).kind == "constant"
                                         for e in graph.edges))  # fmt: skip
    assert values["nodes"][of_ten.id]["dtype"] == "float32"
    assert values["nodes"][of_ten.id]["min"] == float(np.log(np.float32(10)))


# -- cells from PyTensor's and Theano's issue trackers (see tests/python/README.md) --


def labelled(values: dict[str, Any], found: Traced, view: str, label: str) -> dict[str, Any]:
    """The value of the node the user named ``label``, or else labelled so."""
    nodes = found.bundle.views[view].nodes
    named = [n.id for n in nodes if n.name == label] or [node_id(found, view, label)]
    node: dict[str, Any] = values["nodes"][named[0]]
    return node


IFELSE_ALLOC = """
import pytensor, pytensor.tensor as pt
from pytensor.ifelse import ifelse
i = pt.iscalar('i')
a = pt.alloc(i.astype('float64'), i)
out = ifelse(i <= 0, pt.constant(-1.0, dtype='float64'), a.max())
f_out = pytensor.function([i], out)
got = [f_out(3), f_out(0)]
"""


def test_an_ifelse_runs_only_the_branch_it_takes() -> None:
    """At i = 0 the other branch is the max of an empty vector, which PyTensor never runs."""
    found = traced(IFELSE_ALLOC, "f_out")
    for view in ("original", "optimized"):
        values = values_of(found, view).to_json()
        assert values["inputs"] == "the cell's inputs"
        outs = [n.id for n in found.bundle.views[view].nodes if n.kind == "output" and not n.parent]
        assert [values["nodes"][o]["preview"] for o in outs] == ["-1"] * len(outs) != []
        assert {n["error"] for n in values["nodes"].values()} <= {"", NOT_RUN}
        assert labelled(values, found, view, "LE")["preview"] == "True"
    original = values_of(found, "original").to_json()
    assert not_run(original, found, "original") == [
        ("", "convert_to_float64"),
        ("", "Alloc"),
        ("", "Max{axes=None}"),
    ]
    optimized = values_of(found, "optimized").to_json()
    if HAS_LAZY_IFELSE:  # the else branch, rewritten to a cast, is an inner graph
        assert not_run(optimized, found, "optimized") == [("else", "convert_to_float64")]
        assert labelled(optimized, found, "optimized", "DeepCopyOp")["preview"] == "-1"
    else:
        assert not_run(optimized, found, "optimized") == [("", "Alloc"), ("", "Max{axes=None}")]


#: PyTensor 3.3 compiles an ifelse into a ``LazyIfElse`` whose branches are inner graphs.
HAS_LAZY_IFELSE = importlib.util.find_spec("pytensor.conditional") is not None


def not_run(values: dict[str, Any], found: Traced, view: str) -> list[tuple[str, str]]:
    """(the subgraph it is drawn in, label) of each op the values say was not run."""
    graph = found.bundle.views[view]
    labels = {s.id: s.label for s in graph.subgraphs}
    return [
        (labels.get(n.parent or "", ""), n.label)
        for n in graph.nodes
        if n.kind == "op" and values["nodes"][n.id]["error"] == NOT_RUN
    ]


IFELSE_FUSED = """
import pytensor, pytensor.tensor as pt
from pytensor.conditional.op import ifelse
x = pt.dvector('x')
c = pt.dscalar('c')
f = pytensor.function([x, c], ifelse(c > 0, pt.exp(x), pt.log(x) * 2))
got = f([1.0, 4.0], -1.0)
"""


@pytest.mark.skipif(not HAS_LAZY_IFELSE, reason="PyTensor before 3.3 has no LazyIfElse")
def test_a_lazy_ifelse_has_values_inside_the_branch_it_takes() -> None:
    """The else branch's fused loop is run op by op; the then branch's exp is not run."""
    found = traced(IFELSE_FUSED, "f")
    values = values_of(found, "optimized").to_json()
    assert not_run(values, found, "optimized") == [("then", "exp")]
    assert labelled(values, found, "optimized", "log")["preview"] == "[0, 1.386]"
    assert labelled(values, found, "optimized", "mul")["preview"] == "[0, 2.773]"
    assert labelled(values, found, "optimized", "f")["preview"] == "[0, 2.773]"
    assert values["notes"] == []


RANDOM_STREAM = """
import numpy as np, pytensor, pytensor.tensor as pt, warnings
warnings.simplefilter('ignore')
srng = pt.random.RandomStream(seed=3)
mu = pt.dscalar('mu')
noisy = mu + srng.normal(0, 1, size=(3,))
sample = pytensor.function([mu], noisy)
first = sample(1.0)
"""


def test_a_random_draw_the_backend_wrapped_in_place_has_values_and_leaves_the_stream() -> None:
    """The numba backend moves the in-place draw into an OpFromGraph whose own
    perform would compile it (and refuse in-place ops): its inner run is used."""
    namespace: dict[str, Any] = {}
    found = traced(RANDOM_STREAM, "sample", namespace)
    [rng] = namespace["srng"].state_updates
    state = rng[0].get_value().bit_generator.state
    optimized = values_of(found, "optimized").to_json()
    assert {n["error"] for n in optimized["nodes"].values()} == {""}
    (diff,) = optimized["differences"]
    assert (diff["output"], diff["rel_diff"], diff["optimized"]["shape"]) == ("noisy", 0.0, [3])
    assert rng[0].get_value().bit_generator.state == state


GIVENS = """
import numpy as np, pytensor, pytensor.tensor as pt
data = pytensor.shared(np.arange(20.0).reshape(10, 2), name='data')
w = pytensor.shared(np.ones(2), name='w')
xb = pt.dmatrix('xb')
index = pt.lscalar('index')
cost = ((xb @ w) ** 2).mean()
train = pytensor.function([index], cost, updates=[(w, w - 0.001 * pytensor.grad(cost, w))],
                          givens={xb: data[index * 5:(index + 1) * 5]})
c0 = train(1)
"""


def test_a_variable_replaced_by_givens_gets_its_replacements_value() -> None:
    """Theano's tutorials slice a minibatch out of shared data by an integer index."""
    namespace: dict[str, Any] = {}
    found = traced(GIVENS, "train", namespace)
    original = values_of(found, "original").to_json()
    xb = labelled(original, found, "original", "xb")
    assert (xb["shape"], xb["min"], xb["max"]) == ([5, 2], 10.0, 19.0)
    # the cost at the shared weights as the cell's call left them
    w = namespace["w"].get_value()
    cost = np.mean((np.arange(10.0, 20.0).reshape(5, 2) @ w) ** 2)
    (diff,) = values_of(found, "optimized").to_json()["differences"]
    assert diff["original"]["mean"] == diff["optimized"]["mean"] == cost


SPARSE = """
import numpy as np, scipy.sparse as sps, pytensor, pytensor.sparse as psp
A = psp.csr_matrix('A')
B = psp.csr_matrix('B')
prod = psp.structured_dot(A, B)
target = psp.sp_sum(prod, sparse_grad=True)
gA, gB = pytensor.grad(target, [A, B])
f = pytensor.function([A, B], [prod, gA, gB])
res = f(sps.csr_matrix(np.array([[1.0, 3, 0, 0, 4]])),
        sps.csr_matrix(np.array([[2.0], [0], [7], [0], [1]])))
"""


def test_sparse_values_read_as_the_matrices_they_stand_for() -> None:
    found = traced(SPARSE, "f")
    original = values_of(found, "original").to_json()
    assert labelled(original, found, "original", "A")["preview"] == "[1, 3, 0, 0, 4]"
    assert labelled(original, found, "original", "prod")["preview"] == "[6]"
    optimized = values_of(found, "optimized").to_json()
    assert [(d["output"], d["rel_diff"]) for d in optimized["differences"]] == [
        ("prod", 0.0),
        ("gA", 0.0),
        ("gB", 0.0),
    ]
    found.build_all()
    assert found.bundle.views["gradient"].notes[-1] == (
        "checked against pytensor.grad at the cell's inputs"
    )


TYPED_LIST = """
import numpy as np, pytensor, pytensor.tensor as pt
from pytensor.typed_list import TypedListType, append, length, getitem
lst = TypedListType(pt.dvector)('lst')
extra = pt.dvector('extra')
more = append(lst, extra)
n = length(more)
last = getitem(more, -1).sum()
f = pytensor.function([lst, extra], [n, last])
got = f([np.ones(2)], np.arange(3.0))
"""


def test_a_typed_list_of_vectors_of_several_lengths_is_summarized_item_by_item() -> None:
    found = traced(TYPED_LIST, "f")
    values = values_of(found, "original").to_json()
    more = labelled(values, found, "original", "more")
    assert (more["shape"], more["dtype"], more["preview"]) == ([2], "list", "[[1, 1], [0, 1, 2]]")
    assert labelled(values, found, "original", "last")["preview"] == "3"


SCAN_DEFINITIONS = """
import numpy as np
import pytensor
import pytensor.tensor as pt
x = pt.dvector("x")
xs = np.array([0.5, 0.25, 0.125])
def step(xi, acc, n):
    return acc + xi, n + acc
(acc, n), _ = pytensor.scan(step, sequences=x, outputs_info=[pt.zeros(()), pt.zeros(())])
"""


def test_values_of_every_view_leave_a_scans_constant_initial_value_as_it_was(
    shell: InteractiveShell,
) -> None:
    """Two carried outputs start from the one constant ``pt.zeros(())``; the
    optimized scan's output is a view of it that its ``perform`` writes to."""
    run(shell, SCAN_DEFINITIONS)
    ran = run(shell, "%%tgraph\nf = pytensor.function([x], [acc[-1], n[-1]])\nfirst = f(xs)\n")
    (widget,) = widgets(ran)
    values = values_of_every_view(widget)
    readings = [d["reading"] for d in values["optimized"]["differences"]]
    assert len(readings) == 2
    assert all("agree within float tolerance" in r for r in readings), readings
    later = run(shell, "acc[-1].eval({x: xs}), n[-1].eval({x: xs}), f(xs)").result
    assert (later[0], later[1]) == (0.875, 1.25)
    assert [float(v) for v in later[2]] == [0.875, 1.25]
