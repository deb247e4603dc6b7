"""PyTensor graphs -> the common model's ``Graph``, one view at a time.

Intermediate values become edges, inner graphs (Composite, Scan,
OpFromGraph, the two branches of PyTensor 3.3's LazyIfElse) become
subgraphs, and each node carries the cell line that made it, read from the
stack trace PyTensor keeps on every variable.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pytensor.compile.sharedvalue import SharedVariable
from pytensor.graph.basic import Apply, Constant, Variable
from pytensor.graph.fg import FunctionGraph
from pytensor.graph.op import HasInnerGraph
from pytensor.graph.traversal import toposort
from pytensor.tensor.random.op import RandomVariable
from pytensor.tensor.random.type import RandomType
from pytensor.tensor.type import TensorType

from ...graph import Edge, Graph, Node, Source, Subgraph
from ...protocol import CellInfo
from .labels import op_label, value_preview
from .rewrites import Recorded

InputsOf = Callable[[Apply], Sequence[Variable]]


def _dtype(kind: Any) -> str:
    """A type's dtype as text; a typed list's ``dtype`` is its element type."""
    dtype = getattr(kind, "dtype", "")
    return dtype if isinstance(dtype, str) else ""


def dims_text(shape: tuple[int | None, ...]) -> str:
    dims = ["?" if s is None else str(s) for s in shape]
    return f"({dims[0]},)" if len(dims) == 1 else f"({', '.join(dims)})"


def shape_text(var: Variable) -> str:
    shape = getattr(var.type, "shape", None)
    return "" if shape is None else dims_text(shape)


def type_text(var: Variable) -> str:
    """``float64 (?, 3)`` for a tensor; any other type (sparse, xtensor...) as itself."""
    if isinstance(var.type, TensorType):
        return f"{_dtype(var.type)} {shape_text(var)}"
    return str(var.type)


def _inner_op(op: Any) -> HasInnerGraph | None:
    """Composites hide in the scalar op of an Elemwise or CAReduce."""
    if isinstance(op, HasInnerGraph):
        return op
    scalar = getattr(op, "scalar_op", None)
    return scalar if isinstance(scalar, HasInnerGraph) else None


#: What users call the branches of PyTensor 3.3's ``LazyIfElse`` (its
#: ``inner_graphs`` keys), and the subgraph kind each is drawn as.
BRANCHES = {"true_branch": ("then", "branch"), "false_branch": ("else", "branch")}


@dataclass
class InnerGraph:
    """One inner graph of an op: ``name`` is empty for the only one."""

    name: str
    inputs: Sequence[Variable]
    outputs: Sequence[Variable]


def inner_graphs(op: Any) -> list[InnerGraph]:
    """The inner graphs an op runs: one for Scan, OpFromGraph or a Composite;
    one per name for ops with several, such as PyTensor 3.3's ``LazyIfElse``
    (its two branches), found by their ``inner_graphs`` so older PyTensor,
    which has no such op, needs nothing."""
    inner = _inner_op(op)
    if inner is not None:
        return [InnerGraph("", list(inner.inner_inputs), list(inner.inner_outputs))]
    graphs = getattr(op, "inner_graphs", None)
    if not isinstance(graphs, Mapping):
        return []
    return [InnerGraph(name, list(g.inputs), list(g.outputs)) for name, g in graphs.items()]


def _toposort(ends: list[Variable], inputs_of: InputsOf) -> list[Apply]:
    """Nodes before their users, reading inputs through ``inputs_of``: a
    snapshot's nodes have been edited in place since."""
    order: list[Apply] = []
    seen: set[Apply] = set()
    stack: list[tuple[Apply, bool]] = [(v.owner, False) for v in ends if v.owner is not None]
    while stack:
        node, expanded = stack.pop()
        if expanded:
            order.append(node)
        elif node not in seen:
            seen.add(node)
            stack.append((node, True))
            owners = [v.owner for v in reversed(inputs_of(node)) if v.owner is not None]
            stack.extend((owner, False) for owner in owners if owner not in seen)
    return order


class GraphWriter:
    """Writes one view. Ids are assigned in topological order, so the same
    graph always gets the same ids; inner nodes carry their subgraph's id.
    A snapshot writer reads inputs through ``inputs_of`` and takes its
    top-level ids from ``book`` instead."""

    def __init__(
        self,
        cell: CellInfo,
        created: dict[Apply, str] | None = None,
        inputs_of: InputsOf | None = None,
        book: Callable[[Any], str] | None = None,
        names: dict[Variable, str] | None = None,
    ) -> None:
        self.graph = Graph()
        self.names = names or {}
        self.lines = cell.code.splitlines()
        self.filename = cell.filename
        self.created = created or {}
        self.inputs_of = inputs_of
        self.book = book

    def _source(self, var: Variable) -> Source | None:
        if not self.filename:
            return None
        for stack in getattr(var.tag, "trace", None) or []:
            for frame in stack:
                if frame[0] == self.filename:
                    # The frame's own text is what ran: IPython may have
                    # transformed the cell (dropped leading blank lines).
                    line, text = frame[1], frame[3]
                    if not text and 0 < line <= len(self.lines):
                        text = self.lines[line - 1].strip()
                    return Source(line, text or "")
        return None

    def _value_node(self, var: Variable, node_id: str, parent: str | None, label: str) -> Node:
        node = Node(
            node_id,
            "input",
            var.name or label,
            name=var.name or "",
            dtype=_dtype(var.type),
            shape=shape_text(var),
            parent=parent,
            source=self._source(var),
            attrs={"type": str(var.type)},
        )
        if isinstance(var, Constant):
            node.kind = "constant"
            node.label = value_preview(var.data, 16)
            node.attrs["value"] = value_preview(var.data, 80)
        elif isinstance(var, SharedVariable):
            node.kind = "shared"
            node.label = var.name or ("rng" if isinstance(var.type, RandomType) else "shared")
            node.attrs["value"] = value_preview(var.get_value(borrow=True))
        if hasattr(var.type, "broadcastable"):
            node.attrs["broadcastable"] = str(tuple(var.type.broadcastable))
        return node

    def graph_label(self, node_id: str) -> str:
        return next((n.label for n in reversed(self.graph.nodes) if n.id == node_id), node_id)

    def _name(self, var: Variable) -> str:
        """The variable's own name, else the cell's name for it (``a = x + 1``)."""
        return var.name or self.names.get(var, "")

    def _op_node(self, apply: Apply, node_id: str, parent: str | None) -> Node:
        out = apply.outputs[0]
        named = [n for n in map(self._name, apply.outputs) if n]
        node = Node(
            node_id,
            "op",
            op_label(apply.op),
            op=str(apply.op),
            name=", ".join(named),
            dtype=_dtype(out.type),
            shape=shape_text(out),
            parent=parent,
            source=self._source(out),
            attrs={"class": type(apply.op).__name__},
        )
        if len(apply.outputs) > 1:
            node.attrs["outputs"] = "; ".join(type_text(o) for o in apply.outputs)
        if isinstance(apply.op, RandomVariable):
            node.label = apply.op.name
            node.attrs["distribution"] = apply.op.name
            node.tags.append("random")
        if apply in self.created:
            node.tags.append("created")
            node.attrs["created_by"] = self.created[apply]
        return node

    def scope(
        self,
        outputs: list[tuple[str, Variable]],
        inputs: list[Variable] | None = None,
        prefix: str = "",
        parent: str | None = None,
        updates: list[tuple[Variable, Variable]] | None = None,
    ) -> dict[Any, str]:
        """Add one (inner) graph; returns the node id of each apply and leaf."""
        updates = updates or []
        # node -> id; ("inner", node[, name]) -> the ids of its (named) inner graph
        ids: dict[Any, Any] = {}
        counts = {"n": 0, "s": 0}
        inner_index = {v: i for i, v in enumerate(inputs or [])}

        def new_id(kind: str, key: Any) -> str:
            if self.book is not None and parent is None:
                return self.book(key)
            counts[kind] += 1
            return f"{prefix}{kind}{counts[kind] - 1}"

        def producer(var: Variable) -> str:
            if var.owner is not None and var not in inner_index:
                return ids[var.owner]
            if var not in ids:
                label = f"in{inner_index[var]}" if var in inner_index else "input"
                node = self._value_node(var, new_id("n", var), parent, label)
                self.graph.nodes.append(node)
                ids[var] = node.id
            return ids[var]

        def edge(var: Variable, dst: str, slot: int, tags: list[str] | None = None) -> None:
            label = type_text(var)
            name = self._name(var)
            if name and var.owner is not None:
                label = f"{name}: {label}"
            if var.owner is not None and len(var.owner.outputs) > 1:
                label = f"[{var.owner.outputs.index(var)}] {label}"
            self.graph.edges.append(Edge(producer(var), dst, label, slot, tags or []))

        ends = [v for _, v in outputs] + [u for _, u in updates]
        if self.inputs_of is not None and parent is None:
            inputs_of = self.inputs_of
            applies = _toposort(ends, inputs_of)
        else:
            applies = list(toposort(ends, blockers=inputs))
            inputs_of = _own_inputs
        for apply in applies:
            args = inputs_of(apply)
            for var in args:
                producer(var)
            node = self._op_node(apply, new_id("n", apply), parent)
            self.graph.nodes.append(node)
            ids[apply] = node.id
            for slot, var in enumerate(args):
                edge(var, node.id, slot)
            if isinstance(apply.op, RandomVariable):
                rngs = [v for v in args if isinstance(v.type, RandomType)]
                if rngs:
                    node.attrs["rng"] = self.graph_label(producer(rngs[0]))
            graphs = inner_graphs(apply.op)
            if graphs:
                owner = _inner_op(apply.op) or apply.op
                sub_key = ("subgraph", apply)
                sub = Subgraph(new_id("s", sub_key), op_label(owner), type(owner).__name__, parent)
                ids[sub_key] = sub.id
                sub.attrs["node"] = node.id
                sub.attrs["op"] = value_preview(str(owner), 200)
                node.attrs["subgraph"] = sub.id
                self.graph.subgraphs.append(sub)
                for inner in graphs:
                    holder = sub.id
                    if len(graphs) > 1:  # each branch opens on its own, inside the op's box
                        label, kind = BRANCHES.get(inner.name, (inner.name, inner.name))
                        holder_key = ("subgraph", inner.name, apply)
                        holder = new_id("s", holder_key)
                        ids[holder_key] = holder
                        self.graph.subgraphs.append(Subgraph(holder, label, kind, sub.id))
                    inner_outs = [(f"out{i}", v) for i, v in enumerate(inner.outputs)]
                    inner_ids = self.scope(inner_outs, list(inner.inputs), f"{holder}.", holder)
                    ids[inner_key(apply, inner)] = inner_ids
        for index, (name, var) in enumerate(outputs):
            node = Node(new_id("n", ("output", index)), "output", name, name=name, parent=parent)
            ids[("output", index)] = node.id
            node.dtype, node.shape = _dtype(var.type), shape_text(var)
            node.source = self._source(var)
            self.graph.nodes.append(node)
            rng = _rng_updated(var)
            if rng is not None:
                node.label = f"{name} (update)"
                node.tags.append("update")
                node.attrs["updates"] = producer(rng)
                edge(var, node.id, 0, ["update"])
                continue
            edge(var, node.id, 0)
        for index, (shared, expr) in enumerate(updates):
            target = producer(shared)
            label = f"{shared.name or 'shared'} (update)"
            node = Node(
                new_id("n", ("update", index)),
                "output",
                label,
                name=shared.name or "",
                parent=parent,
            )
            ids[("update", index)] = node.id
            node.dtype, node.shape = _dtype(shared.type), shape_text(shared)
            node.tags.append("update")
            node.attrs["updates"] = target
            self.graph.nodes.append(node)
            edge(expr, node.id, 0, ["update"])
        return ids


def inner_key(apply: Apply, inner: InnerGraph) -> tuple[Any, ...]:
    """Where a view's ids keep the ids of one inner graph of ``apply``."""
    return ("inner", apply, inner.name) if inner.name else ("inner", apply)


def _rng_updated(var: Variable) -> Variable | None:
    """The RNG a random variable's next-state output replaces, if ``var`` is one."""
    owner = var.owner
    if owner is None or not isinstance(var.type, RandomType):
        return None
    if not isinstance(owner.op, RandomVariable):
        return None
    return next((v for v in owner.inputs if isinstance(v.type, RandomType)), None)


def view(
    outputs: list[tuple[str, Variable]],
    cell: CellInfo,
    updates: list[tuple[Variable, Variable]] | None = None,
    recorded: Recorded | None = None,
    names: dict[Variable, str] | None = None,
) -> tuple[Graph, dict[Any, str]]:
    created = {}
    if recorded is not None:
        created = {n: recorded.rewrites[s].name for n, s in recorded.created_by.items()}
    writer = GraphWriter(cell, created, names=names)
    ids = writer.scope(outputs, updates=updates)
    return writer.graph, ids


def _own_inputs(apply: Apply) -> Sequence[Variable]:
    inputs: Sequence[Variable] = apply.inputs
    return inputs


def _ends(
    fgraph: FunctionGraph, outs: list[Variable], names: list[str]
) -> tuple[list[tuple[str, Variable]], list[tuple[Variable, Variable]]]:
    """Named outputs and (shared variable, update) pairs of ``fgraph``'s outputs."""
    mapping = fgraph.update_mapping or {}
    count = len(outs) - len(mapping)
    outputs = list(zip(names, outs[:count], strict=True))
    updates = [(fgraph.inputs[i], outs[o]) for o, i in sorted(mapping.items())]
    return outputs, updates


def fgraph_view(
    fgraph: FunctionGraph, names: list[str], cell: CellInfo, recorded: Recorded | None = None
) -> tuple[Graph, dict[Any, str]]:
    """The compiled graph: update outputs go back to their shared variables."""
    outputs, updates = _ends(fgraph, fgraph.outputs, names)
    return view(outputs, cell, updates, recorded)
