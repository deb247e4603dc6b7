"""Big JAX programs read like the code that made them.

A decoder-only transformer's training step, its 24 layers written as a
Python loop, as users bring it: helpers in one cell, the loss and the jitted
step in the next. Every view opens on a handful of boxes that follow the
program (forward, backward, update; the user's functions; the 24 layers
folded into one), the compiled view in the same groups; a Flax NNX model
shows its modules; a program with no structure at all still opens small.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from jax_cells import example_cells, line_of, run_cell, targets

from tgraph.frontends.jax import JaxFrontend
from tgraph.frontends.jax import compiled as compiled_view
from tgraph.graph import Graph, Subgraph
from tgraph.layout import layout
from tgraph.protocol import CellInfo, Options, Target
from tgraph.structure import GROUP_KINDS, TIMES

#: The training step of examples/transformer_step.py, as its notebook runs it:
#: sizes, then the model's pieces and parameters, then the loss and the step.
SIZES, HELPERS, STEP = example_cells("transformer_step", "D, H, T, V = 8, 16, 4, 16\n")


@pytest.fixture(scope="module")
def transformer() -> tuple[dict[str, Graph], CellInfo]:
    ns, _ = run_cell(SIZES)
    ns, _ = run_cell(HELPERS, namespace=ns)
    ns, cell = run_cell(STEP, namespace=ns)
    found = {t.name: t for t in targets({"step": ns["step"], "value": ns["value"]}, cell)}
    return views_of(found["step"], cell), cell


def views_of(target: Target, cell: CellInfo, names: tuple[str, ...] = ()) -> dict[str, Graph]:
    """The views the widget would build (``names`` only, when given)."""
    traced = JaxFrontend().trace(target, Options(), cell)
    for view in names or traced.pending():
        traced.build(view)
    assert not traced.errors, traced.errors
    return traced.bundle.views


def top(graph: Graph) -> list[Subgraph]:
    return [s for s in graph.subgraphs if s.parent is None]


def children(graph: Graph, sub: Subgraph) -> list[Subgraph]:
    return [s for s in graph.subgraphs if s.parent == sub.id]


def named(graph: Graph, label: str, within: Subgraph | None = None) -> list[Subgraph]:
    """Groups labelled ``label`` (inside ``within`` when given, at any depth)."""
    inside = None if within is None else below(graph, within)
    return [s for s in graph.subgraphs if s.label == label and (inside is None or s.id in inside)]


def below(graph: Graph, sub: Subgraph) -> set[str]:
    """Ids of every subgraph and node inside ``sub``."""
    found = {sub.id}
    grew = True
    while grew:
        more = {s.id for s in graph.subgraphs if s.parent in found} - found
        grew = bool(more)
        found |= more
    return found | {n.id for n in graph.nodes if n.parent in found}


def test_the_step_opens_on_its_forward_backward_and_update(transformer: Any) -> None:
    views, _ = transformer
    original = views["original"]
    picture = layout(original)
    assert picture.visible <= 30
    passes = [s for s in top(original) if s.kind == "pass"]
    assert [s.label for s in passes] == ["forward", "backward", "update"]
    # the 194 parameter arrays are one box, opening by their pytree paths
    (params,) = [s for s in top(original) if s.kind == "inputs"]
    assert params.label == "params"
    # every equation of the step sits in one of the three passes
    inside = set().union(*(below(original, s) for s in passes))
    assert all(n.id in inside for n in original.nodes if n.kind == "op")


def test_the_24_layers_fold_into_one_block_whose_instances_hold_rms(transformer: Any) -> None:
    views, cell = transformer
    original = views["original"]
    forward, backward, _ = (s for s in top(original) if s.kind == "pass")
    (loss,) = named(original, "loss", forward)
    assert loss.attrs["line"] == str(line_of(cell, "value_and_grad(loss)"))
    (layers,) = named(original, f"block {TIMES}24", forward)
    assert layers.kind == "repeat" and layers.attrs["count"] == "24"
    assert layers.attrs["line"] == str(line_of(cell, "x = block(x, p)"))
    instances = children(original, layers)
    assert [s.label for s in instances] == [f"block [{i}]" for i in range(24)]
    for instance in instances:
        assert [s.label for s in children(original, instance)] == ["rms", "attn", "rms", "mlp"]
        # called from the helpers' cell: the call is kept, not this cell's line
        assert children(original, instance)[0].attrs["call"] == 'rms(x, p["g1"])'
    # the final norm after the loop is its own call of rms, outside the fold
    assert [s.label for s in children(original, loss)].count("rms") == 1
    # one backward group per layer, numbered as the forward one it reverses
    (back,) = named(original, f"block {TIMES}24", backward)
    numbers = [s.attrs["instance"] for s in children(original, back)]
    assert numbers == [str(i) for i in range(23, -1, -1)]


def _centre_y(svg: str, item: str) -> float:
    """The vertical centre of an item's shape in a laid-out picture."""
    text = svg.replace("&#45;", "-")
    found = re.search(
        rf'<g id="tg-{re.escape(item)}" class="[^"]*">.*?(?:points|d)="([^"]+)"', text, re.S
    )
    assert found is not None, item
    ys = [float(y) for y in re.findall(r"-?[\d.]+,(-?[\d.]+)", found.group(1))]
    return (min(ys) + max(ys)) / 2


def test_the_backward_of_each_layer_sits_beside_its_forward(transformer: Any) -> None:
    views, _ = transformer
    original = views["original"]
    forward, backward, _ = (s for s in top(original) if s.kind == "pass")
    opened = {forward.id, backward.id}
    for sub in (forward, backward):
        (loss,) = named(original, "loss", sub)
        (blocks,) = [s for s in children(original, loss) if s.kind == "repeat"]
        opened |= {loss.id, blocks.id}
    svg = layout(original, frozenset(opened)).svg
    ahead = {k: _centre_y(svg, named(original, f"block [{k}]", forward)[0].id) for k in (3, 4)}
    back = {k: _centre_y(svg, named(original, f"block [{k}]", backward)[0].id) for k in (3, 20)}
    step = abs(ahead[4] - ahead[3])  # one layer down the forward pass
    assert abs(back[3] - ahead[3]) <= step
    # the backward runs from the last layer to the first, drawn bottom to top
    assert back[20] > back[3]


def test_the_update_folds_per_layer(transformer: Any) -> None:
    views, cell = transformer
    original = views["original"]
    (update,) = named(original, "update")
    repeats = [s for s in children(original, update) if s.kind == "repeat"]
    # a layer's 8 parameters updated one by one, 24 times
    assert [(s.attrs["count"], s.attrs["period"]) for s in repeats] == [("24", "8")]
    line = str(line_of(cell, "tree_map(lambda"))
    calls = [s for s in original.subgraphs if s.id in below(original, update) and s.kind == "call"]
    assert len(calls) == 194 and {s.attrs["line"] for s in calls} == {line}


def test_the_compiled_step_keeps_the_groups(transformer: Any) -> None:
    views, cell = transformer
    original, compiled = views["original"], views["optimized"]
    assert layout(compiled).visible <= 30
    subs = {s.id: s for s in compiled.subgraphs}
    groups = {s.id for s in compiled.subgraphs if s.kind in GROUP_KINDS}
    fusions = [s for s in compiled.subgraphs if s.kind == "fusion"]
    assert len(fusions) > 100

    def grouped(sub: Subgraph) -> bool:
        cur = sub.parent
        while cur is not None and cur not in groups:
            cur = subs[cur].parent
        return cur is not None

    assert all(grouped(f) for f in fusions if f.label not in LOOSE_BROADCASTS)
    # the same groups as the graph as written: same ids, labels and lines
    mirrored = {s.id: s for s in original.subgraphs}
    assert len(groups & set(mirrored)) > 100
    for gid in groups & set(mirrored):
        assert subs[gid].label == mirrored[gid].label
        assert subs[gid].attrs.get("line") == mirrored[gid].attrs.get("line")
    # each instruction names the one equation it came from, and sits in that
    # equation's call (unless its fusion says it spans groups)
    where = {n.id: n.parent for n in original.nodes}

    def calls(item: str | None, parents: dict[str, Any]) -> list[str]:
        found = []
        while item is not None:
            if item in groups and subs[item].kind == "call":
                found.append(item)
            item = parents(item)
        return found

    checked = 0
    for node in compiled.nodes:
        if not node.attrs.get("jaxpr") or node.kind != "op":
            continue
        assert "," not in node.attrs["jaxpr"]
        mine = calls(node.parent, lambda i: subs[i].parent)
        fusion = subs.get(node.parent or "")
        if not mine or (fusion is not None and "spans" in fusion.attrs):
            continue
        theirs = calls(where[node.attrs["jaxpr"]], lambda i: mirrored[i].parent)
        assert mine[0] in theirs, node
        checked += 1
    assert checked > 1000
    # instructions inside a layer came from that layer's line of the loss
    layer_line = line_of(cell, "x = block(x, p)")
    (forward,) = named(compiled, "forward")
    (layers,) = named(compiled, f"block {TIMES}24", forward)
    assert len(children(compiled, layers)) >= 24
    inside = below(compiled, layers)
    lines = {n.source.line for n in compiled.nodes if n.id in inside and n.source}
    assert lines == {layer_line}
    # the update's instructions came from the tree_map line, except what a
    # fusion rooted there recomputes of the passes before it, and it says so
    (update,) = named(compiled, "update")
    inside = below(compiled, update)
    ops = [n for n in compiled.nodes if n.id in inside and n.kind == "op" and n.source]
    update_line = line_of(cell, "tree_map(lambda")
    assert {n.source.line for n in ops} > {update_line}
    for node in ops:
        if node.source and node.source.line != update_line:
            spans = subs[node.parent or ""].attrs["spans"]
            assert set(spans.split(", ")) <= {"forward", "backward"}


#: The loss alone, in the cell after the step's: its gradient is tgraph's to draw.
LOSS_ONLY = """
value = jax.jit(loss)(params, tok, tgt)
"""


def test_the_gradient_of_the_loss_reads_as_forward_and_backward_layers() -> None:
    ns, _ = run_cell(SIZES)
    ns, _ = run_cell(HELPERS, namespace=ns)
    ns, _ = run_cell(STEP, namespace=ns)
    ns, cell = run_cell(LOSS_ONLY, namespace=ns)
    (target,) = [t for t in targets({"value": ns["value"], "loss": ns["loss"]}, cell)]
    gradient = views_of(target, cell, ("gradient",))["gradient"]
    assert gradient.notes[-1].startswith("checked against jax.grad")
    assert layout(gradient).visible <= 30
    assert [s.label for s in top(gradient) if s.kind == "pass"] == ["forward", "backward"]
    _, backward = (s for s in top(gradient) if s.kind == "pass")
    (layers,) = named(gradient, f"block {TIMES}24", backward)
    assert len(children(gradient, layers)) == 24
    # the 194 gradients are named and grouped like the parameters they belong to
    (grads,) = [s for s in top(gradient) if s.kind == "outputs"]
    assert grads.label == "d/d params"
    kinds = {s.id: s.kind for s in gradient.subgraphs}
    names = [
        n.label
        for n in gradient.nodes
        if n.kind == "output" and (n.parent is None or kinds[n.parent] == "outputs")
    ]
    assert "d/d params['layers'][3]['wq']" in names and len(names) == 194


SCANNED = """
import jax
import jax.numpy as jnp

def rms(x):
    return x * jax.lax.rsqrt(jnp.mean(x * x) + 1e-6)

def block(x, w):
    return jnp.tanh(rms(x) @ w) + x

def stack(x, ws):
    def body(h, w):
        return block(h, w), None
    return jax.lax.scan(body, x, ws)[0]

@jax.jit
def net(x, ws):
    return jnp.sum(stack(x, ws))

y = net(jnp.ones(4), jnp.ones((6, 4, 4)))
"""


def test_a_scanned_layer_reads_as_one_call_in_each_pass() -> None:
    ns, cell = run_cell(SCANNED)
    (target,) = targets({"net": ns["net"]}, cell)
    gradient = views_of(target, cell, ("gradient",))["gradient"]
    for step in ("forward", "backward"):
        (pass_,) = named(gradient, step)
        (stack,) = named(gradient, "stack", pass_)
        (loop,) = children(gradient, stack)
        assert loop.kind == "scan" and loop.attrs["line"] == str(line_of(cell, "lax.scan"))
        # the body: one call of block holding one of rms, forward and transposed alike
        assert [s.label for s in children(gradient, loop)] == ["block"], step
        (block,) = children(gradient, loop)
        assert [s.label for s in children(gradient, block)] == ["rms"], step


#: Broadcasts of constants XLA makes for several passes at once: no group of
#: the program holds them alone.
LOOSE_BROADCASTS = {"wrapped_broadcast", "wrapped_broadcast.1"}


NNX = """
import jax, jax.numpy as jnp
from flax import nnx

class Block(nnx.Module):
    def __init__(self, d, rngs):
        self.norm = nnx.LayerNorm(d, rngs=rngs)
        self.up = nnx.Linear(d, 4 * d, rngs=rngs)
        self.down = nnx.Linear(4 * d, d, rngs=rngs)

    def __call__(self, x):
        return x + self.down(jax.nn.gelu(self.up(self.norm(x))))

class Model(nnx.Module):
    def __init__(self, d, rngs):
        self.blocks = nnx.List([Block(d, rngs) for _ in range(6)])

    def __call__(self, x):
        for b in self.blocks:
            x = b(x)
        return x

model = Model(8, nnx.Rngs(0))

@nnx.jit
def forward(model, x):
    return model(x)

y = forward(model, jnp.ones((4, 8)))
"""


@pytest.fixture(scope="module")
def nnx_views() -> dict[str, Graph]:
    pytest.importorskip("flax")
    ns, cell = run_cell(NNX)
    (target,) = targets({"forward": ns["forward"]}, cell)
    return views_of(target, cell)


def test_an_nnx_model_shows_its_blocks_and_their_layers(nnx_views: dict[str, Graph]) -> None:
    for view in ("original", "optimized"):
        blocks_hold_their_layers(nnx_views[view])


def blocks_hold_their_layers(graph: Graph) -> None:
    """Block x6, each instance holding its LayerNorm and two Linears."""
    (blocks,) = named(graph, f"Block {TIMES}6")
    instances = [s for s in children(graph, blocks) if "instance" in s.attrs]
    assert [s.label for s in instances] == [f"Block [{i}]" for i in range(6)]
    for instance in instances:
        layers = [s for s in children(graph, instance) if s.kind == "call"]
        assert [s.label for s in layers] == ["norm", "up", "down"], instance.label
        assert {s.attrs["library"] for s in layers} == {"flax"}


def test_the_compiled_nnx_model_opens_on_the_model_and_its_state(
    nnx_views: dict[str, Graph],
) -> None:
    compiled = nnx_views["optimized"]
    opens_on_the_model_and_its_state(compiled)


def opens_on_the_model_and_its_state(compiled: Graph) -> list[str]:
    """Checks the top level and where XLA's copies sit; the tuples of results, by name."""
    # the model, its state, x and the result; no copy XLA made stands alone
    assert layout(compiled).visible == 4
    assert [(s.label, s.kind) for s in top(compiled)] == [
        ("Model", "call"),
        ("model.states[0]", "inputs"),
    ]
    assert [n.label for n in compiled.nodes if n.parent is None] == ["x", "result"]
    # nnx.jit hands the model's 36 arrays back: their copies sit with the state
    (state,) = named(compiled, "model.states[0]")
    copies = [n for n in compiled.nodes if n.op == "copy" and n.parent == state.id]
    assert len(copies) == 36
    # the tuple of results sits with the last block, which computes y
    fusions = {s.id for s in compiled.subgraphs if s.kind == "fusion"}
    tuples = [n for n in compiled.nodes if n.op == "tuple" and n.parent not in fusions]
    assert {n.parent for n in tuples} == {named(compiled, "Block [5]")[0].id}
    return [n.name for n in tuples]


#: XLA's program for ``NNX`` on an H200 (jaxlib 0.11.2, CUDA 12), as
#: ``forward.lower(model, jnp.ones((4, 8))).compile().as_text()`` printed it,
#: the cell named ``<tgraph-test-cell-0>``. A jaxpr does not depend on the
#: backend, so the CPU's trace of the same cell links to it.
NNX_GPU = Path(__file__).parent / "data" / "nnx_gpu.hlo"


@pytest.fixture(scope="module")
def nnx_gpu_compiled() -> Graph:
    """The compiled view a GPU user gets of ``NNX``, built from XLA's GPU program."""
    pytest.importorskip("flax")
    ns, cell = run_cell(NNX)
    text = NNX_GPU.read_text("utf-8").replace('"<tgraph-test-cell-0>"', f'"{cell.filename}"')
    (target,) = targets({"forward": ns["forward"]}, cell)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(compiled_view, "compiled_text", lambda _compiled: text)
        return views_of(target, cell, ("optimized",))["optimized"]


def test_the_gpu_compiled_nnx_model_keeps_its_blocks_and_state(nnx_gpu_compiled: Graph) -> None:
    compiled = nnx_gpu_compiled
    assert len([s for s in compiled.subgraphs if s.kind == "fusion"]) == 32
    # one tuple gathers the state and y, another the copies and y
    assert opens_on_the_model_and_its_state(compiled) == ["tuple.10", "tuple.11"]
    blocks_hold_their_layers(compiled)
    # the GPU reads every result back out of one tuple before copying it:
    # the 36 reads of the state sit with the state, the read of y with y
    (state,) = named(compiled, "model.states[0]")
    reads = [n for n in compiled.nodes if n.op == "get-tuple-element" and n.parent == state.id]
    assert len(reads) == 36
    (last,) = named(compiled, "Block [5]")
    (y,) = [n for n in compiled.nodes if n.name == "get-tuple-element.87"]
    assert y.parent == last.id
    # a matmul kernel sits with its product and names the work it took in:
    # up's takes the layer norm's scaling, down's the gelu and the residual
    (first,) = named(compiled, "Block [0]")
    layers = [named(compiled, label, first)[0] for label in ("up", "down")]
    fused = {s.label: s.attrs.get("spans") for g in layers for s in children(compiled, g)}
    assert fused == {
        "gemm_fusion_dot_general.12": "norm, up",
        "gemm_fusion_dot_general.13": "Block [0], down",
    }
    # a fusion of one block's residual and the next block's norm sits on
    # their common parent and says so; its results go where each was made
    (blocks,) = named(compiled, f"Block {TIMES}6")
    (shared,) = named(compiled, "input_add_reduce_fusion")
    assert (shared.parent, shared.attrs["spans"]) == (blocks.id, "Block [1], Block [2]")
    (residual,) = [n for n in compiled.nodes if n.name == "get-tuple-element.11"]
    assert residual.parent == named(compiled, "Block [1]")[0].id


def test_a_program_without_structure_still_opens_small() -> None:
    body = "".join(f"    x = x {'*' if i % 2 else '+'} {i % 7 + 1}.0\n" for i in range(10_000))
    src = f"import jax, jax.numpy as jnp\n\n@jax.jit\ndef chain(x):\n{body}    return x\n"
    ns, cell = run_cell(src + "\ny = chain(jnp.ones(3))\n")
    (target,) = targets({"chain": ns["chain"]}, cell)
    views = views_of(target, cell, ("original", "optimized"))  # JAX checks its gradient slowly
    assert len(views["original"].ops()) == 10_000
    for graph in views.values():
        assert layout(graph).visible <= 60
