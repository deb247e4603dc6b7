"""Every program a cell ran is shown, wherever its function was defined.

Notebooks laid out as users lay them out: imports and definitions in the
first cells, ``%%tgraph`` on a later cell that only calls them. Each test
runs its notebook twice, plain and with the magic, and the user's cells
must behave identically (namespace, outputs, stderr, errors).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from IPython.core.interactiveshell import InteractiveShell

from conftest import Ran, run
from test_magic import WIDGET_MIME, entries, observe, strip_magic

HERE = Path(__file__).parent
#: Calls that never reach Python (a jitted function run from JAX's cache, an eager
#: shard_map) are seen through sys.monitoring, which Python 3.12 brought.
MONITORED = pytest.mark.skipif(
    not hasattr(sys, "monitoring"), reason="needs sys.monitoring (Python 3.12+)"
)


def notebook(shell: InteractiveShell, cells: list[str]) -> list[Ran]:
    """Run ``cells`` plain, then with their magic lines, and check the user saw the same.

    Returns what the traced run showed, cell by cell.
    """
    plain = [observe(shell, run(shell, strip_magic(c))) for c in cells]
    shell.reset(new_session=False)
    entries(shell).clear()
    ran = []
    for cell, without in zip(cells, plain, strict=True):
        ran.append(run(shell, cell))
        assert observe(shell, ran[-1], -cell.startswith("%%tgraph")) == without, cell
    return ran


def widgets(ran: Ran) -> int:
    return sum(WIDGET_MIME in d for d in ran.outputs)


def ops(shell: InteractiveShell, name: str, view: str) -> set[str]:
    [entry] = [e for e in entries(shell) if e.bundle.target == name]
    entry.build(view)
    return {n.op for n in entry.bundle.views[view].nodes if n.kind == "op"}


def bundle_of(shell: InteractiveShell, name: str) -> Any:
    [entry] = [e for e in entries(shell) if e.bundle.target == name]
    return entry.bundle


JAX_DEFINED = [
    "import jax, jax.numpy as jnp, numpy as np",
    "@jax.jit\ndef f(x):\n    return jnp.sin(x) * 2.0",
]


@pytest.mark.parametrize(
    ("calls", "shape"),
    [
        (["%%tgraph\ny = f(jnp.ones(3))"], "f32[3]"),  # traced and compiled in this cell
        (["y = f(jnp.ones(3))", "%%tgraph\ny = f(jnp.ones((2, 4)))"], "f32[2,4]"),  # a retrace
        pytest.param(  # from JAX's cache: seen only through sys.monitoring
            ["y = f(jnp.ones(3))", "%%tgraph\ny = f(jnp.ones(3))"], "f32[3]", marks=MONITORED
        ),
    ],
)
def test_a_jitted_function_defined_earlier_is_shown_when_called(
    shell: InteractiveShell, calls: list[str], shape: str
) -> None:
    ran = notebook(shell, JAX_DEFINED + calls)
    assert ran[-1].stderr == ""
    assert widgets(ran[-1]) == 1
    bundle = bundle_of(shell, "f")
    assert bundle.info["call"] == f"f({shape})"
    assert "sin" in ops(shell, "f", "original")
    assert ops(shell, "f", "optimized")  # XLA's program, fused
    assert "calls" not in bundle.info  # called once


@MONITORED
def test_a_loop_of_20_calls_is_one_graph_of_its_last_call(shell: InteractiveShell) -> None:
    loop = "%%tgraph\nfor i in range(20):\n    y = f(jnp.ones(i % 3 + 2))"
    ran = notebook(shell, [*JAX_DEFINED, loop])
    assert widgets(ran[-1]) == 1
    assert len(entries(shell)) == 1
    bundle = bundle_of(shell, "f")
    assert bundle.info["calls"] == 20
    assert bundle.info["call"] == "f(f32[3])"  # i = 19: 19 % 3 + 2
    assert "called 20 times in this cell: drawn for its last call, f(f32[3])" in bundle.notes


def test_a_cell_with_no_program_keeps_its_message(shell: InteractiveShell) -> None:
    ran = notebook(shell, [*JAX_DEFINED, "%%tgraph\nz = 1 + 2"])
    assert ran[-1].stderr == "tgraph: this cell defined no graph to show.\n"
    assert entries(shell) == []


def test_a_jitted_function_named_on_the_magic_line_alone_is_shown(
    shell: InteractiveShell,
) -> None:
    cells = [
        *JAX_DEFINED,
        "g = jax.jit(jnp.cos)",
        "%%tgraph f\ny = f(jnp.ones(3)) + g(jnp.ones(3))",
    ]
    notebook(shell, cells)
    assert [e.bundle.target for e in entries(shell)] == ["f"]


def test_a_function_jitted_in_the_call_is_named_after_its_function(
    shell: InteractiveShell,
) -> None:
    cells = [
        "import jax, jax.numpy as jnp",
        "def e(x):\n    return jnp.sum(x ** 2)",
        "%%tgraph\npot = jax.jit(e)\nv = pot(jnp.ones(3))\ng = jax.jit(jax.grad(e))(jnp.ones(3))",
    ]
    notebook(shell, cells)
    names = [e.bundle.target for e in entries(shell)]
    assert names == ["pot", "jax.jit(jax.grad(e))"]
    pot = bundle_of(shell, "pot")
    pot_notes = " ".join(pot.notes + pot.views["original"].notes)
    assert "computes a gradient inside" not in pot_notes
    assert "mul" not in ops(shell, "pot", "original")  # e itself, not its gradient 2 * x
    assert "integer_pow" in ops(shell, "pot", "original")
    grad = bundle_of(shell, "jax.jit(jax.grad(e))")
    assert "computes a gradient inside" in " ".join(grad.views["original"].notes)


@MONITORED
def test_an_eager_cell_names_the_magic_line_that_draws_it(shell: InteractiveShell) -> None:
    cells = [
        "import jax, jax.numpy as jnp",
        "def loss(params, tokens):\n    return jnp.sum(jnp.tanh(params * tokens))",
        "params = jnp.ones(3)\ntokens = jnp.arange(3.0)",
        "%%tgraph\nlval = loss(params, tokens)",
    ]
    ran = notebook(shell, cells)
    assert ran[-1].stderr == (
        "tgraph: this cell ran JAX op by op (no jit), so there is no compiled program to "
        "show: %%tgraph loss(params, tokens) traces loss and draws it\n"
    )
    # and the line it names does draw it
    again = run(shell, "%%tgraph loss(params, tokens)\nlval = loss(params, tokens)")
    assert again.stderr == ""
    assert widgets(again) == 1
    assert "tanh" in ops(shell, "loss", "original")


PYTENSOR_DEFINED = [
    "import numpy as np, pytensor, pytensor.tensor as pt",
    "x = pt.dvector('x')\nout = pt.log(1 + pt.exp(x))\ng = pytensor.function([x], out)",
]


def test_a_pytensor_function_compiled_earlier_is_shown_when_called(
    shell: InteractiveShell,
) -> None:
    cells = [*PYTENSOR_DEFINED, "%%tgraph\nfor i in range(4):\n    v = g(np.full(3, float(i)))"]
    ran = notebook(shell, cells)
    assert ran[-1].stderr == ""
    assert widgets(ran[-1]) == 1
    bundle = bundle_of(shell, "g")
    assert {"Log", "Exp", "Add"} <= ops(shell, "g", "original")  # as the user wrote it
    assert "Softplus" in ops(shell, "g", "optimized")  # as PyTensor compiled it
    assert bundle.info["calls"] == 4
    assert any("compiling a copy of its graph" in n for n in bundle.notes)
    entry = entries(shell)[0]
    values = entry.values("original")
    assert values["inputs"] == "the cell's inputs"
    [x_id] = [n.id for n in bundle.views["original"].nodes if n.name == "x"]
    assert values["nodes"][x_id]["preview"] == "[3, 3, 3]"  # the last call: i = 3


def sharded_run() -> dict[str, Any]:
    """``magic_sharded_run.py`` in a fresh Python with 8 CPU devices."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(HERE.parents[1] / "kernel_ext"), str(HERE)])
    done = subprocess.run(
        [sys.executable, str(HERE / "magic_sharded_run.py")],
        env=env,
        capture_output=True,
        text=True,
        timeout=400,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    found: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return found


EIGHT = [f"cpu:{i}" for i in range(8)]


@MONITORED
def test_sharded_and_bfloat16_programs_time_on_the_cells_own_inputs() -> None:
    found = sharded_run()
    for name, row in found.items():
        assert row["same"], name  # the user's cells behaved as without the magic
        assert row["stderr"] == "", name
        assert row["error"] is None, name
        assert row["values_from"] == "the cell's inputs", name
        assert "timed on the inputs of the cell's last call" in row["notes"], name
    step, total, half = found["step"], found["shard_total"], found["half"]
    # under jax.set_mesh, with the mesh's axes in the arrays' types
    assert found["explicit_step"]["device"] == "mesh (8 devices)"
    assert found["explicit_step"]["input_devices"] == EIGHT + EIGHT
    assert step["device"] == total["device"] == "mesh (8 devices)"
    assert step["input_devices"] == EIGHT + EIGHT  # w replicated, x split over the batch
    assert step["signature"] == "float32[4, 2], float32[16, 4]"
    assert total["input_devices"] == EIGHT
    # the eager shard_map's graph as written and its per-device program
    assert "psum" in " ".join(total["original_ops"])
    assert "all-reduce" in total["optimized_ops"]
    assert half["signature"] == "bfloat16[8], bfloat16[8]"
    assert half["device"] == "cpu:0"


FLAX_DEFINED = [
    "import jax, jax.numpy as jnp\nfrom flax import nnx",
    "class Block(nnx.Module):\n"
    "    def __init__(self, rngs):\n"
    "        self.linear = nnx.Linear(4, 4, rngs=rngs)\n"
    "    def __call__(self, x):\n"
    "        return jnp.tanh(self.linear(x))",
    "class Model(nnx.Module):\n"
    "    def __init__(self, rngs):\n"
    "        self.linear = nnx.Linear(2, 1, rngs=rngs)\n"
    "    def __call__(self, x):\n"
    "        return jnp.sum(self.linear(x) ** 2)\n"
    "model = Model(nnx.Rngs(0))\n"
    "@nnx.jit\n"
    "def forward(model, x):\n"
    "    return model(x)",
]


def test_an_nnx_layer_stack_made_with_vmap_traces_without_error(shell: InteractiveShell) -> None:
    pytest.importorskip("flax")
    stack = (
        "%%tgraph\n@nnx.split_rngs(splits=3)\n@nnx.vmap(in_axes=(0,), out_axes=0)\n"
        "def make_stack(rngs):\n    return Block(rngs)\nstack = make_stack(nnx.Rngs(0))"
    )
    ran = notebook(shell, [*FLAX_DEFINED, stack])
    assert ran[-1].stderr == ""
    assert widgets(ran[-1]) == 1
    bundle = bundle_of(shell, "make_stack")
    assert "the program that ran: jax.vmap(make_stack)" in " ".join(bundle.views["original"].notes)
    assert "random_bits" in ops(shell, "make_stack", "original")  # each layer's own init


def test_the_gradient_of_an_nnx_jit_forward_is_nnx_grads(shell: InteractiveShell) -> None:
    pytest.importorskip("flax")
    ran = notebook(shell, [*FLAX_DEFINED, "%%tgraph\ny = forward(model, jnp.ones((4, 2)))"])
    assert ran[-1].stderr == ""
    [entry] = entries(shell)
    entry.build("gradient")
    graph = entry.bundle.views["gradient"]
    notes = " ".join(graph.notes)
    assert "cannot differentiate" not in notes
    assert "checked against jax.grad" in notes
    # with respect to the model's state (its kernel and bias), as nnx.grad(model) is
    inputs = sorted(n.name for n in graph.nodes if n.kind == "input")
    assert inputs[:2] == ["arg0.states[0][0]", "arg0.states[0][1]"]
    run(shell, "grads = nnx.grad(lambda m: forward(m, jnp.ones((4, 2))))(model)")
    shapes = run(shell, "sorted(str(g.shape) for g in jax.tree_util.tree_leaves(grads))").result
    outputs = [n for n in graph.nodes if n.kind == "output" and n.label.startswith("d/d")]
    assert outputs and all(n.label.startswith("d/d arg0") for n in outputs)  # not of x
    if len(outputs) > 1:  # one per state array, as nnx.grad gives them
        assert sorted(n.shape for n in outputs) == shapes


PYMC_DEFINED = [
    "import numpy as np, pymc as pm",
    "with pm.Model() as model:\n"
    "    mu = pm.Normal('mu', 2.0, 1)\n"
    "    sigma = pm.HalfNormal('sigma', 3.0)\n"
    "    pm.Normal('y', mu, sigma, observed=np.array([0.1, -0.3, 0.5]))",
]
SAMPLE = (
    "%%tgraph\nwith model:\n    idata = pm.sample(draws=10, tune=10, chains=1, cores=1, "
    "progressbar=False, compute_convergence_checks=False, random_seed=1)"
)


def test_pm_sample_shows_the_logp_and_gradient_the_sampler_ran(shell: InteractiveShell) -> None:
    pytest.importorskip("pymc")
    ran = notebook(shell, [*PYMC_DEFINED, SAMPLE])
    assert widgets(ran[-1]) == 1
    name = "logp of model, as pm.sample compiled it"
    [entry] = entries(shell)
    assert entry.bundle.target == name
    assert entry.bundle.info["calls"] > 20  # every leapfrog step of 20 draws
    # the function the sampler ran, at the initial point: the model's own logp and dlogp
    values = entry.values("original")
    assert values["inputs"] == "the model's initial point"
    graph = entry.bundle.views["original"]
    outputs = {n.label: n.id for n in graph.nodes if n.kind == "output"}
    assert set(outputs) == {"logp", "dlogp"}
    want = run(
        shell,
        "ip = model.initial_point()\n"
        "float(model.compile_logp()(ip)), [float(d) for d in model.compile_dlogp()(ip)]",
    ).result
    logp = values["nodes"][outputs["logp"]]
    dlogp = values["nodes"][outputs["dlogp"]]
    assert logp["shape"] == [] and logp["mean"] == pytest.approx(want[0], rel=1e-12)
    assert dlogp["shape"] == [2]
    assert [dlogp["min"], dlogp["max"]] == pytest.approx(sorted(want[1]), rel=1e-12)
    # in the sampler's own order (mu, then sigma_log__), which differ at this point
    shown = [float(v) for v in dlogp["preview"].strip("[]").split(",")]
    assert shown == pytest.approx(want[1], rel=1e-3) and want[1][0] != want[1][1]
    assert {"Log", "Sub"} <= ops(shell, name, "original")
    assert ops(shell, name, "optimized")


NUMPYRO_DEFINED = [
    "import jax, jax.numpy as jnp, numpyro, numpyro.distributions as dist\n"
    "from numpyro.infer import MCMC, NUTS",
    "def model(y=None):\n"
    "    mu = numpyro.sample('mu', dist.Normal(0, 1))\n"
    "    sigma = numpyro.sample('sigma', dist.HalfNormal(1))\n"
    "    numpyro.sample('y', dist.Normal(mu, sigma), obs=y)",
    "mcmc = MCMC(NUTS(model), num_warmup=10, num_samples=10, progress_bar=False)",
]


def test_numpyro_mcmc_shows_the_potential_energy_it_differentiates(
    shell: InteractiveShell,
) -> None:
    pytest.importorskip("numpyro")
    run_mcmc = "%%tgraph\nmcmc.run(jax.random.PRNGKey(0), y=jnp.array([0.1, -0.3, 0.5]))"
    ran = notebook(shell, [*NUMPYRO_DEFINED, run_mcmc])
    assert ran[-1].stderr == ""
    name = "potential energy of model, as mcmc.run compiled it"
    assert [e.bundle.target for e in entries(shell)] == [name]
    bundle = bundle_of(shell, name)
    assert bundle.info["call"] == f"{name}({{'mu': f32[], 'sigma': f32[]}})"
    assert {"log", "exp"} <= ops(shell, name, "original")
    assert {"log", "exponential"} <= ops(shell, name, "optimized")
    entry = entries(shell)[0]
    entry.build("gradient")
    assert "checked against jax.grad" in " ".join(bundle.views["gradient"].notes)


@pytest.mark.parametrize(
    ("make", "signature"),
    [
        ("jnp.ones(4, jnp.float8_e4m3fn)", "float8_e4m3fn[4]"),
        ("jnp.ones(4, jnp.complex64) * 1j", "complex64[4]"),
        ("jnp.arange(4, dtype=jnp.int32)", "int32[4]"),
    ],
)
def test_timing_and_values_use_the_cells_own_inputs_of_any_dtype(
    shell: InteractiveShell, make: str, signature: str
) -> None:
    cells = [
        "import jax, jax.numpy as jnp",
        "@jax.jit\ndef double(a):\n    return a + a",
        f"a = {make}",
        "%%tgraph --sync --budget 0.05\nb = double(a)",
    ]
    ran = notebook(shell, cells)
    assert ran[-1].stderr == ""
    [entry] = entries(shell)
    [row] = entry.timings
    assert row["error"] is None
    assert row["signature"] == signature
    assert "timed on the inputs of the cell's last call" in row["notes"]
    values = entry.values("original")
    assert values["inputs"] == "the cell's inputs" and not values["made_up"]


def test_a_training_step_defined_earlier_is_shown_for_the_loop_that_calls_it(
    shell: InteractiveShell,
) -> None:
    pytest.importorskip("optax")
    cells = [
        *FLAX_DEFINED,
        "import optax\nopt = nnx.Optimizer(model, optax.adam(1e-2), wrt=nnx.Param)\n"
        "@nnx.jit\n"
        "def train_step(model, opt, x, y):\n"
        "    def loss_fn(model):\n"
        "        return jnp.mean((model(x) - y) ** 2)\n"
        "    loss, grads = nnx.value_and_grad(loss_fn)(model)\n"
        "    opt.update(model, grads)\n"
        "    return loss",
        "%%tgraph\nfor _ in range(3):\n"
        "    l = train_step(model, opt, jnp.ones((4, 2)), jnp.zeros((4, 1)))",
    ]
    ran = notebook(shell, cells)
    assert ran[-1].stderr == ""
    assert widgets(ran[-1]) == 1
    bundle = bundle_of(shell, "train_step")
    assert bundle.info["calls"] == 3
    notes = " ".join(bundle.views["original"].notes)
    assert "train_step computes a gradient inside" in notes
    assert "dot_general" in ops(shell, "train_step", "original")
    assert ops(shell, "train_step", "optimized")  # XLA's program of the step


def test_a_pytensor_function_of_outputs_no_variable_holds_says_what_would_keep_them(
    shell: InteractiveShell,
) -> None:
    cells = [
        "import numpy as np, pytensor, pytensor.tensor as pt",
        "x = pt.dvector('x')\ng2 = pytensor.function([x], pt.exp(x) * 2)",
        "%%tgraph --no-run\nv = g2(np.ones(3))",
    ]
    ran = notebook(shell, cells)
    assert ran[-1].stderr == ""
    bundle = bundle_of(shell, "g2")
    assert bundle.notes == [
        "g2 was compiled outside %%tgraph from outputs no variable of yours holds: PyTensor "
        "keeps only the compiled graph, so the graph as written and the rewrites are not "
        "available (compile it in a %%tgraph cell, or after %tgraph on, to keep them)"
    ]
    assert "exp" in ops(shell, "g2", "optimized")  # the compiled graph is still drawn
    # compiled after %tgraph on, the same function keeps its graph as written
    run(shell, "%tgraph on --no-run")
    try:
        run(shell, "g3 = pytensor.function([x], pt.exp(x) * 2)")
        run(shell, "%%tgraph --no-run\nw = g3(np.ones(3))")
    finally:
        run(shell, "%tgraph off")
    last = [e for e in entries(shell) if e.bundle.target == "g3"][-1]  # the calling cell's
    last.build("original")
    assert {"Exp", "Mul"} <= {n.op for n in last.bundle.views["original"].nodes}
