"""JAX's model libraries: Flax NNX and Equinox cells as users write them.

A function these libraries jit is a target named after the user's variable,
traced on its last call; the libraries' code (layers, the optimizer's
update) sit in groups named after what the user called, so the user's own lines stand out;
a training step, which differentiates inside, is not differentiated again.
Tried with Flax 0.12.8, Equinox 0.13.8 and Optax 0.2.8 on JAX 0.10.2.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from jax_cells import build, run_cell, targets

from tgraph.frontends.jax import JaxFrontend
from tgraph.graph import Graph
from tgraph.protocol import Options

pytest.importorskip("flax")
pytest.importorskip("equinox")
pytest.importorskip("optax")

NNX_STEP = """
import jax, jax.numpy as jnp, optax
from flax import nnx

class Model(nnx.Module):
    def __init__(self, rngs):
        self.linear = nnx.Linear(2, 1, rngs=rngs)
    def __call__(self, x):
        return self.linear(x)

model = Model(nnx.Rngs(0))
opt = nnx.Optimizer(model, optax.adam(1e-2), wrt=nnx.Param)

@nnx.jit
def train_step(model, opt, x, y):
    def loss_fn(model):
        return jnp.mean((model(x) - y) ** 2)
    loss, grads = nnx.value_and_grad(loss_fn)(model)
    opt.update(model, grads)
    return loss

loss = train_step(model, opt, jnp.ones((4, 2)), jnp.zeros((4, 1)))
loss = train_step(model, opt, jnp.ones((8, 2)), jnp.ones((8, 1)))
"""

EQX_LOSS = """
import jax, jax.numpy as jnp, equinox as eqx
mlp = eqx.nn.MLP(2, 1, 4, 2, key=jax.random.PRNGKey(0))

@eqx.filter_jit
def loss(model, x, y):
    return jnp.mean((jax.vmap(model)(x) - y) ** 2)

value = loss(mlp, jnp.ones((5, 2)), jnp.zeros((5, 1)))
value = loss(mlp, jnp.ones((3, 2)), jnp.zeros((3, 1)))
"""


def boxes(graph: Graph, kinds: tuple[str, ...] = ("pass", "call", "module")) -> list[str]:
    """Every group of ``kinds`` as its path of labels, outermost first, in graph order."""
    subs = {s.id: s for s in graph.subgraphs}

    def path(sub_id: str) -> str:
        labels = []
        cur: str | None = sub_id
        while cur is not None and cur in subs:
            if subs[cur].kind in kinds:
                labels.append(subs[cur].label)
            cur = subs[cur].parent
        return " / ".join(reversed(labels))

    return [path(s.id) for s in graph.subgraphs if s.kind in kinds]


def group_of(graph: Graph, label: str) -> str:
    return next(s.id for s in graph.subgraphs if s.label == label)


def top_ops(graph: Graph) -> list[str]:
    return [n.op for n in graph.nodes if n.kind == "op" and n.parent is None]


def only_target(ns: dict[str, Any], cell: Any) -> Any:
    [target] = targets(ns, cell)
    return target


def test_an_nnx_training_step_is_named_after_its_variable_and_traced_on_its_last_call() -> None:
    ns, cell = run_cell(NNX_STEP)
    target = only_target(ns, cell)
    assert target.name == "train_step"
    traced = JaxFrontend().trace(target, Options(), cell)
    notes = traced.bundle.views["original"].notes
    assert (
        "traced as train_step(NodeStates(2 arrays), NodeStates(6 arrays), f32[8,2], f32[8,1])"
        in notes
    )


def test_the_step_reads_as_its_passes_functions_and_library_layers() -> None:
    ns, cell = run_cell(NNX_STEP)
    traced = JaxFrontend().trace(only_target(ns, cell), Options(), cell)
    original = traced.bundle.views["original"]
    assert sorted(boxes(original)) == sorted(
        [
            "forward",
            "forward / loss_fn",
            "forward / loss_fn / Model",
            "forward / loss_fn / Model / linear",
            "backward",
            "backward / loss_fn",
            "backward / loss_fn / Model",
            "backward / loss_fn / Model / linear",
            "update",
            "update / update",  # opt.update(...), then the Optax code it runs
            "update / update / update_fn",
            "update / update / apply_updates",
        ]
    )
    subs = {s.id: s for s in original.subgraphs}
    # each group opens to the cell line that called it
    lines = {subs[g].attrs.get("line") for g in subs if subs[g].label == "loss_fn"}
    assert lines == {"18"}
    layer = next(s for s in original.subgraphs if s.label == "linear")
    assert (layer.attrs["line"], layer.attrs["library"]) == ("9", "flax")
    update = next(s for s in original.subgraphs if s.label == "update" and s.kind == "call")
    assert (update.attrs["line"], update.attrs["library"]) == ("19", "flax")
    # the loss the user wrote sits in loss_fn, forward and backward, with its line
    forward_loss = [
        n
        for n in original.nodes
        if n.kind == "op"
        and subs.get(n.parent or "") is not None
        and subs[n.parent or ""].label == "loss_fn"
    ]
    assert {n.source.line for n in forward_loss if n.source} == {17}
    assert top_ops(original) == []


def test_a_training_step_is_not_differentiated_again_unless_asked() -> None:
    ns, cell = run_cell(NNX_STEP)
    target = only_target(ns, cell)
    traced = JaxFrontend().trace(target, Options(), cell)
    assert [v.name for v in traced.offers.views] == ["original", "optimized"]
    assert "gradient" not in traced.later
    assert traced.bundle.views["original"].notes[0] == (
        "train_step computes a gradient inside (its backward pass is drawn here), so tgraph "
        "does not differentiate it again: %%tgraph --wrt 0 asks for that"
    )
    asked = JaxFrontend().trace(target, Options(wrt=["2"]), cell)
    assert "gradient" in asked.later
    assert "gradient" in [v.name for v in asked.offers.views]


def test_the_magic_leaves_the_training_step_as_it_was() -> None:
    with_magic, _ = run_cell(NNX_STEP)
    without, _ = run_cell(NNX_STEP, observe=False)
    assert float(with_magic["loss"]) == float(without["loss"])
    kernel = [np.asarray(ns["model"].linear.kernel[...]) for ns in (with_magic, without)]
    np.testing.assert_array_equal(kernel[0], kernel[1])
    assert int(with_magic["opt"].step[...]) == int(without["opt"].step[...]) == 2


def test_an_equinox_loss_under_filter_jit_is_a_target_with_its_layers_grouped() -> None:
    ns, cell = run_cell(EQX_LOSS)
    target = only_target(ns, cell)
    assert (target.name, target.aliases) == ("loss", [])
    bundle = build(target, Options(), cell)
    original = bundle.views["original"]
    # Equinox names its modules in JAX's name stack: the MLP and its three layers
    assert boxes(original, ("module",)) == [
        "eqx.nn.MLP",
        "eqx.nn.MLP / eqx.nn.Linear",
        "eqx.nn.MLP / eqx.nn.Linear",
        "eqx.nn.MLP / eqx.nn.Linear",
    ]
    assert top_ops(original) == ["sub", "integer_pow", "reduce_sum", "div"]
    inputs = [n.shape for n in original.nodes if n.kind == "input" and n.parent is None]
    assert "(3, 2)" in inputs and "(5, 2)" not in inputs  # the last call
    # a loss differentiates nothing inside: its gradient view is drawn and checked
    assert "gradient" in bundle.views
    assert "optimized" in bundle.views
