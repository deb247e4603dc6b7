"""The fidelity guard: nothing tgraph does after a cell changes what the user has.

Each case is a small notebook from the real-world cells of ``README.md``:
definitions in early cells, the ``%%tgraph`` cell, then later cells that use
what the user holds (evaluating a graph again, calling a function again,
drawing from an RNG). It runs twice in a real IPython shell: once plain,
once with ``%%tgraph`` and every request the widget and a curious user make
after the cell (every view, the values of every view, the automatic timing
run, a profile; the gradient check runs with the gradient view). A digest of
the user's state after the last cell must be the same bit for bit: namespace
values, shared variables with the buffers they alias, the constants of the
user's graphs, RNG states and the side-effect counters the cells keep.
"""

from __future__ import annotations

import hashlib
import importlib.util
import random
from dataclasses import dataclass
from types import ModuleType
from typing import Any

# JAX's first import in a process draws from NumPy's global generator: made
# here, before any notebook, so that a plain run and a traced one start alike.
import jax  # noqa: F401
import numpy as np
import pytensor  # noqa: F401
import pytest
from IPython.core.interactiveshell import InteractiveShell

from asked import ask_everything, widgets
from conftest import run

MAGIC = "%%tgraph --budget 0.1\n"
HAS_PYMC = importlib.util.find_spec("pymc") is not None

PT = "import numpy as np\nimport pytensor\nimport pytensor.tensor as pt\n"
JX = "import numpy as np\nimport jax\nimport jax.numpy as jnp\n"


@dataclass
class Notebook:
    """Cells in order; the cells at ``traced`` get ``%%tgraph`` in the traced run."""

    cells: list[str]
    traced: tuple[int, ...]
    #: State that differs between two plain runs too (PyTensor's C compile
    #: draws lock names from Python's ``random`` when it compiles afresh).
    unstable: tuple[str, ...] = ()


CASES: dict[str, Notebook] = {
    # the issue's scan: two carried outputs from the constant zeros (Theano #2594's pattern)
    "scan_constant_initial": Notebook(
        [
            PT + "x = pt.dvector('x')\nxs = np.array([0.5, 0.25, 0.125])\n",
            """
def step(xi, acc, n):
    return acc + xi, n + acc
(acc, n), _ = pytensor.scan(step, sequences=x, outputs_info=[pt.zeros(()), pt.zeros(())])
""",
            "f = pytensor.function([x], [acc[-1], n[-1]])\nfirst = f(xs)\n",
            """
later = acc[-1].eval({x: xs}), n[-1].eval({x: xs})
again = pytensor.function([x], acc[-1] + n[-1])(xs)
""",
        ],
        (2,),
    ),
    # the buffer: a shared variable over the user's array, updated in place
    "shared_borrowed_buffer": Notebook(
        [
            PT + "buf = np.zeros(3)\ns = pytensor.shared(buf, borrow=True, name='s')\n",
            """
step = pytensor.function([], s.sum(), updates={s: s + 1})
for _ in range(4):
    total = step()
""",
            "after = step(), buf.copy(), s.get_value(borrow=True) is buf\n",
        ],
        (1,),
    ),
    # a function whose input may be destroyed (In(mutable=True)), called on the user's array
    "mutable_input": Notebook(
        [
            PT + "from pytensor import In\nv = pt.dvector('v')\na = np.array([0.0, 1.0, 2.0])\n",
            "g = pytensor.function([In(v, mutable=True)], pt.exp(v) * 2)\nout = g(a)\n",
            "seen = a.copy(), g(a)\n",
        ],
        (1,),
    ),
    # Theano's logistic regression tutorial: a minibatch given by an index, a training step
    "givens_training_step": Notebook(
        [
            PT
            + """
rng = np.random.default_rng(7)
data = pytensor.shared(rng.normal(size=(20, 3)), name="data")
labels = pytensor.shared((rng.random(20) > 0.5).astype("float64"), name="labels")
w = pytensor.shared(np.zeros(3), name="w")
""",
            """
index = pt.lscalar("index")
X, y = pt.dmatrix("X"), pt.dvector("y")
p = pt.sigmoid(X @ w)
cost = -(y * pt.log(p) + (1 - y) * pt.log(1 - p)).mean()
batch = slice(index * 5, (index + 1) * 5)
train = pytensor.function(
    [index], cost, updates={w: w - 0.1 * pytensor.grad(cost, w)},
    givens={X: data[batch], y: labels[batch]},
)
losses = [train(i % 4) for i in range(8)]
""",
            "more = [train(i % 4) for i in range(3)], w.get_value()\n",
        ],
        (1,),
    ),
    # PyTensor's random-stream docs: a draw compiled and called, its generator updated
    "random_stream_draw": Notebook(
        [
            PT
            + "from pytensor.tensor.random.utils import RandomStream\n"
            + "srng = RandomStream(seed=234)\nmu = pt.dscalar('mu')\n",
            """
z = mu + srng.normal(0, 1, size=(3,))
sample = pytensor.function([mu], z)
drawn = sample(1.0)
""",
            "next_draws = sample(1.0), sample(2.0)\n",
        ],
        (1,),
    ),
    # Theano #4918: ifelse whose inactive branch overflows, and its gradient
    "ifelse_overflow": Notebook(
        [
            PT + "from pytensor.ifelse import ifelse\nv = pt.dscalar('v')\n",
            """
out = ifelse(v > 0, v + 1, pt.exp(v))
dout = pytensor.function([v], pytensor.grad(out, v))
d = dout(1000.0)
""",
            "d2 = dout(3.0)\n",
        ],
        (1,),
    ),
    # a Print whose global_fn counts its calls: PyTensor's own side effect
    "pytensor_print_counter": Notebook(
        [
            PT
            + """
from pytensor.printing import Print
printed = []
def note(op, value):
    printed.append(float(value.sum()))
""",
            """
u = pt.dvector("u")
shown = Print("u", global_fn=note)(u)
h = pytensor.function([u], (shown**2).sum())
r = h(np.ones(3))
""",
            "count = len(printed)\n",
        ],
        (1,),
    ),
    # the issue's callback: jax.pure_callback appending to a user list (jax#30401's pattern)
    "jax_pure_callback_counter": Notebook(
        [
            JX
            + """
calls = []
def host_sin(x):
    calls.append(1)
    return np.sin(x)
""",
            """
def f(x):
    y = jax.pure_callback(host_sin, jax.ShapeDtypeStruct(x.shape, x.dtype), x)
    return (y * x).sum()
g = jax.jit(f)
out = g(jnp.arange(3.0))
""",
            "count = len(calls)\n",
        ],
        (1,),
    ),
    "jax_io_callback_counter": Notebook(
        [
            JX
            + """
from jax.experimental import io_callback
log = []
def record(x):
    log.append(float(x))
    return np.float32(len(log))
""",
            """
@jax.jit
def logged(x):
    n = io_callback(record, jax.ShapeDtypeStruct((), np.float32), x.sum())
    return x * n
res = logged(jnp.ones(3))
""",
            "count = len(log)\n",
        ],
        (1,),
    ),
    "jax_debug_callback_counter": Notebook(
        [
            JX + "seen = []\n",
            """
@jax.jit
def traced_fn(x):
    jax.debug.callback(lambda v: seen.append(float(v)), x.sum())
    return jnp.tanh(x).sum()
res = traced_fn(jnp.ones(4))
""",
            "count = len(seen)\n",
        ],
        (1,),
    ),
    # JAX's buffer donation docs: an SGD step on a dict of parameters, donated
    "jax_donated_sgd_step": Notebook(
        [
            JX
            + """
params = {"w": jnp.ones((3, 2)), "b": jnp.zeros(2)}
xb = jnp.arange(6.0).reshape(2, 3)
""",
            """
def loss(p, x):
    return ((x @ p["w"] + p["b"]) ** 2).sum()
def sgd(p, x):
    g = jax.grad(loss)(p, x)
    return jax.tree_util.tree_map(lambda a, b: a - 0.01 * b, p, g)
sgd_donating = jax.jit(sgd, donate_argnums=0)
new_params = sgd_donating(params, xb)
""",
            """
kept = {k: np.asarray(v) for k, v in new_params.items()}
params_deleted = params["w"].is_deleted()
""",
        ],
        (1,),
    ),
    # JAX's lax.scan docs: a float total and an integer counter; a key split later
    "jax_scan_and_keys": Notebook(
        [
            JX + "key = jax.random.key(0)\n",
            """
def body(carry, x):
    total, count = carry
    return (total + x, count + 1), total
run_scan = jax.jit(lambda xs: jax.lax.scan(body, (0.0, 0), xs))
(tot, cnt), partial = run_scan(jnp.arange(5.0))
""",
            "key, sub = jax.random.split(key)\nnoise = jax.random.normal(sub, (3,))\n",
        ],
        (1,),
    ),
    # issue 13's jax.vmap over lax.cond with jax.debug.print: printed once per call
    "jax_vmap_cond_debug_print": Notebook(
        [
            JX + "xs = jnp.array([-1.0, 2.0, 3.0])\n",
            """
def pick(x):
    jax.debug.print("x = {x}", x=x)
    return jax.lax.cond(x > 0, jnp.sin, jnp.cos, x)
batched = jax.jit(jax.vmap(pick))
ys = batched(xs)
""",
            "again = batched(xs * 2)\n",
        ],
        (1,),
    ),
    # PyTensor's OpFromGraph with a gradient override, compiled and called
    "op_from_graph_override": Notebook(
        [
            PT
            + "from pytensor.compile.builders import OpFromGraph\n"
            + "a, b = pt.dscalars('a', 'b')\n",
            """
inner = OpFromGraph([a, b], [a * b + 1.0], lop_overrides=lambda i, o, g: [g[0] * 2, g[0] * 3])
e = inner(a, b) ** 2
de = pytensor.function([a, b], pytensor.grad(e, [a, b]))
grads = de(1.5, -2.0)
""",
            "more = de(0.5, 4.0)\n",
        ],
        (1,),
    ),
    # the global NumPy and Python RNGs: tgraph's made-up inputs must not draw from them
    "numpy_global_rng": Notebook(
        [
            PT + "import random\nnp.random.seed(3)\nrandom.seed(3)\n",
            "q = pt.dmatrix('q')\nsq = pytensor.function([q], (q**2).sum(axis=0))\n",
            "later = np.random.rand(2), random.random()\n",
        ],
        (1,),
    ),
}

if HAS_PYMC:
    # a PyMC model with bounded priors; the model's RNGs and the data stay put
    CASES["pymc_bounded_prior"] = Notebook(
        [
            "import numpy as np\nimport pymc as pm\nobs = np.array([0.1, -0.3, 0.2, 0.5])\n",
            """
with pm.Model() as model:
    sigma = pm.HalfNormal("sigma", 1.0)
    p = pm.Uniform("p", 0.0, 1.0)
    y = pm.Normal("y", p, sigma, observed=obs)
first = pm.draw([sigma, p, y], random_seed=5)
""",
            "logp = model.compile_logp()(model.initial_point())\npoint = model.initial_point()\n",
        ],
        (1,),
        unstable=("<python random>",),
    )


# -- the user's state, digested ---------------------------------------------------------

SKIPPED = {"In", "Out", "get_ipython", "exit", "quit", "open"}


def _hash(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()[:16]


def _array(value: Any) -> str:
    array = np.asarray(value)
    if array.dtype == object:
        return f"object{array.shape}"
    return f"{array.dtype}{array.shape}:{_hash(np.ascontiguousarray(array).tobytes())}"


def _pytensor_state(value: Any, names: dict[int, str]) -> str | None:
    """A graph by its constants and shared values; a function by what it holds."""
    if "pytensor" not in __import__("sys").modules:
        return None
    from pytensor.compile.executor import Function
    from pytensor.compile.sharedvalue import SharedVariable
    from pytensor.graph.basic import Constant, Variable
    from pytensor.graph.traversal import ancestors

    if isinstance(value, SharedVariable):
        held = value.get_value(borrow=True)
        alias = names.get(id(held), "")
        return f"shared {describe(held, names)} aliasing {alias or 'nothing'}"
    if isinstance(value, Variable):
        parts = [
            describe(v.data, names) if isinstance(v, Constant) else describe(v, names)
            for v in ancestors([value])
            if isinstance(v, Constant | SharedVariable)
        ]
        return f"variable {value.type}: {'; '.join(parts)}"
    if isinstance(value, Function):
        held = [
            describe(c.storage[0], names) for c in value.input_storage if c.storage[0] is not None
        ]
        constants = sorted(
            describe(v.data, names) for v in value.maker.fgraph.variables if isinstance(v, Constant)
        )
        return f"function: {'; '.join(held)} | constants {'; '.join(constants)}"
    return None


def describe(value: Any, names: dict[int, str], depth: int = 0) -> str:
    """A value as text that changes whenever the value changes."""
    if depth > 4:
        return type(value).__name__
    if value is None or isinstance(value, bool | int | float | complex | str):
        return repr(value)
    if isinstance(value, np.ndarray | np.generic):
        return _array(value)
    if isinstance(value, np.random.Generator):
        return f"Generator {_hash(repr(value.bit_generator.state).encode())}"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(describe(v, names, depth + 1) for v in value) + "]"
    if isinstance(value, dict):
        items = sorted(value.items(), key=lambda kv: str(kv[0]))
        return "{" + ", ".join(f"{k}: {describe(v, names, depth + 1)}" for k, v in items) + "}"
    found = _pytensor_state(value, names)
    if found is not None:
        return found
    module = type(value).__module__
    if module.startswith(("jax", "jaxlib")) and hasattr(value, "is_deleted"):
        if value.is_deleted():
            return "deleted jax array"
        if "key<" in str(getattr(value, "dtype", "")):
            import jax

            return f"key {_array(jax.random.key_data(value))}"
        return "jax " + _array(value)
    if module.startswith("pymc") and hasattr(value, "rvs_to_values"):
        return "model " + describe(value.free_RVs + value.observed_RVs, names, depth + 1)
    return type(value).__name__


def digest(shell: InteractiveShell) -> dict[str, str]:
    """The user's namespace, RNG states included, as comparable text."""
    ns = shell.user_ns
    hidden = set(shell.user_ns_hidden)
    user = {
        k: v
        for k, v in ns.items()
        if not k.startswith("_") and k not in hidden and k not in SKIPPED
        and not isinstance(v, ModuleType | type)
    }  # fmt: skip
    names = {id(v): k for k, v in user.items() if isinstance(v, np.ndarray)}
    found = {
        name: describe(value, names)
        for name, value in sorted(user.items())
        if not (callable(value) and _pytensor_state(value, names) is None)
    }
    found["<numpy global RNG>"] = _hash(repr(np.random.get_state()).encode())
    found["<python random>"] = _hash(repr(random.getstate()).encode())
    return found


def run_notebook(shell: InteractiveShell, book: Notebook, traced: bool) -> list[Any]:
    """Run the cells in order; with ``traced``, the chosen ones under ``%%tgraph``
    and every request after each; the widgets shown."""
    shown: list[Any] = []
    for index, code in enumerate(book.cells):
        magic = traced and index in book.traced
        ran = run(shell, MAGIC + code if magic else code)
        assert ran.error is None, (index, ran.error)
        for widget in widgets(ran):
            ask_everything(widget)
            shown.append(widget)
    return shown


def state_after(shell: InteractiveShell, book: Notebook, traced: bool) -> dict[str, str]:
    shell.reset(new_session=False)
    np.random.seed(0)
    random.seed(0)
    shown = run_notebook(shell, book, traced)
    if traced:  # the guard guards only if tgraph did its work
        assert shown, "no widget was shown"
        for widget in shown:
            assert set(widget.values) == set(widget._entry.bundle.views)
            assert widget.timing_error or widget.timings or not widget.autorun
    return digest(shell)


@pytest.mark.parametrize("case", list(CASES))
def test_the_users_state_after_tgraph_is_the_plain_runs(shell: InteractiveShell, case: str) -> None:
    book = CASES[case]
    plain = state_after(shell, book, traced=False)
    with_tgraph = state_after(shell, book, traced=True)
    changed = {k: (plain.get(k), with_tgraph.get(k)) for k in plain.keys() | with_tgraph.keys()
               if plain.get(k) != with_tgraph.get(k) and k not in book.unstable}  # fmt: skip
    assert changed == {}
